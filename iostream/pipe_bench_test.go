package iostream

import (
	"fmt"
	"io"
	"net"
	"testing"
)

// BenchmarkPipe measures the throughput of one direction of a pipe, with a
// reader that reads 64 KiB at a time. net.Pipe, which has no buffer, is
// measured the same way for comparison.
func BenchmarkPipe(b *testing.B) {
	pipes := []struct {
		name string
		make func() (w, r net.Conn)
	}{
		{"Pipe", func() (net.Conn, net.Conn) { return Pipe() }},
		{"net.Pipe", net.Pipe},
	}
	for _, p := range pipes {
		for _, size := range []int{1 << 10, 64 << 10} {
			b.Run(fmt.Sprintf("%s/write=%dKiB", p.name, size>>10), func(b *testing.B) {
				benchmarkPipe(b, p.make, size)
			})
		}
	}
}

func benchmarkPipe(b *testing.B, makePipe func() (w, r net.Conn), size int) {
	w, r := makePipe()
	defer r.Close()
	defer w.Close()
	total := int64(b.N) * int64(size)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		var got int64
		for got < total {
			n, err := r.Read(buf)
			got += int64(n)
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	msg := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := w.Write(msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil && err != io.EOF {
		b.Fatal(err)
	}
}
