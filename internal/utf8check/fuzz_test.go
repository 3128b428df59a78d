package utf8check

import (
	"testing"
	"unicode/utf8"
)

func FuzzValidator(f *testing.F) {
	for _, tt := range validatorTests {
		f.Add([]byte(tt.in), len(tt.in)/2)
	}
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		if split < 0 || split > len(data) {
			split = len(data) / 2
		}
		valid := utf8.Valid(data)

		var v Validator
		if got := v.Write(data[:split]) && v.Write(data[split:]) && v.Complete(); got != valid {
			t.Fatalf("% x split at %d: valid = %v, utf8.Valid = %v", data, split, got, valid)
		}

		v.Reset()
		whole := v.Write(data)
		wholeComplete := v.Complete()
		fail := firstFalse(data)
		if whole != (fail == len(data)) {
			t.Fatalf("% x: Write = %v, but byte at a time fails at %d", data, whole, fail)
		}
		if wholeComplete != valid {
			t.Fatalf("% x: Complete = %v, utf8.Valid = %v", data, wholeComplete, valid)
		}
		if ref := failIndex(data); fail != ref {
			t.Fatalf("% x: byte at a time fails at %d, reference at %d", data, fail, ref)
		}
	})
}
