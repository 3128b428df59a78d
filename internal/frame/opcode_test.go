package frame

import "testing"

func TestOpcode(t *testing.T) {
	tests := []struct {
		op       Opcode
		control  bool
		reserved bool
		name     string
	}{
		{OpContinuation, false, false, "continuation"},
		{OpText, false, false, "text"},
		{OpBinary, false, false, "binary"},
		{0x3, false, true, "Opcode(0x3)"},
		{0x7, false, true, "Opcode(0x7)"},
		{OpClose, true, false, "close"},
		{OpPing, true, false, "ping"},
		{OpPong, true, false, "pong"},
		{0xB, true, true, "Opcode(0xb)"},
		{0xF, true, true, "Opcode(0xf)"},
		{0x10, false, true, "Opcode(0x10)"},
		{0xFF, false, true, "Opcode(0xff)"},
	}
	for _, tt := range tests {
		if got := tt.op.IsControl(); got != tt.control {
			t.Errorf("Opcode(%#x).IsControl() = %v, want %v", byte(tt.op), got, tt.control)
		}
		if got := tt.op.IsReserved(); got != tt.reserved {
			t.Errorf("Opcode(%#x).IsReserved() = %v, want %v", byte(tt.op), got, tt.reserved)
		}
		if got := tt.op.String(); got != tt.name {
			t.Errorf("Opcode(%#x).String() = %q, want %q", byte(tt.op), got, tt.name)
		}
	}
}

func TestOpcodeRanges(t *testing.T) {
	for op := Opcode(0); op <= 0xF; op++ {
		wantControl := op >= 0x8
		wantReserved := op >= 0x3 && op <= 0x7 || op >= 0xB
		if op.IsControl() != wantControl || op.IsReserved() != wantReserved {
			t.Errorf("Opcode(%#x): IsControl() = %v, IsReserved() = %v; want %v, %v",
				byte(op), op.IsControl(), op.IsReserved(), wantControl, wantReserved)
		}
	}
}
