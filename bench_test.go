package wsconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/iostream"
)

var benchSizes = []int{16, 1 << 10, 64 << 10, 1 << 20}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// send queues p, waiting for the queue to drain when it is full.
func benchSend(b *testing.B, c *WebsocketConnection, p []byte) {
	for {
		err := c.SendBinary(p)
		if err == nil {
			return
		}
		if !errors.Is(err, ErrQueueFull) {
			b.Fatal(err)
		}
		if err := c.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendReceive measures a client sending binary messages to a
// server over the in-memory pipe, until the server has received them all.
func BenchmarkSendReceive(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			x, y := iostream.Pipe()
			opts := &Options{MaxIncomingPayloadSize: -1, MaxTotalMessageSize: -1}
			client := NewWebsocketConnection(x, testURI, ConnectionClient, "", "", nil, opts)
			server := NewWebsocketConnection(y, testURI, ConnectionServer, "", "", nil, opts)
			var got atomic.Int64
			done := make(chan struct{})
			target := int64(b.N)
			server.OnMessage(func(DataType, []byte) {
				if got.Add(1) == target {
					close(done)
				}
			})
			payload := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchSend(b, client, payload)
			}
			<-done
			b.StopTimer()
			client.Abort()
			server.Abort()
		})
	}
}

// BenchmarkSend measures the sending side alone: a server connection
// writing to a peer that discards everything.
func BenchmarkSend(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			x, y := iostream.Pipe()
			c := NewWebsocketConnection(x, testURI, ConnectionServer, "", "", nil, nil)
			drained := make(chan struct{})
			go func() {
				io.Copy(io.Discard, y)
				close(drained)
			}()
			payload := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchSend(b, c, payload)
			}
			if err := c.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			c.Abort()
			y.Close()
			<-drained
		})
	}
}

// BenchmarkSendReceiveDeflate is BenchmarkSendReceive with
// permessage-deflate negotiated, for JSON-like and text messages, with and
// without context takeover.
func BenchmarkSendReceiveDeflate(b *testing.B) {
	json := []byte(strings.Repeat(`{"id":12345,"user":"ada","text":"hello, world","tags":["a","b"]},`, 16))[:1024]
	text := []byte(strings.Repeat("It was the best of times, it was the worst of times; ", 1300))[:64<<10]
	for _, m := range []struct {
		name string
		data []byte
	}{{"json1KiB", json}, {"text64KiB", text}} {
		for _, noCtx := range []bool{false, true} {
			name := m.name + "/context"
			if noCtx {
				name = m.name + "/no-context"
			}
			b.Run(name, func(b *testing.B) {
				o := extensions.DeflateOptions{ClientNoContextTakeover: noCtx, ServerNoContextTakeover: noCtx}
				cexts, sexts := negotiate(b, deflateReg(o), deflateReg(o))
				x, y := iostream.Pipe()
				client := NewWebsocketConnection(x, testURI, ConnectionClient, "", "", cexts, nil)
				server := NewWebsocketConnection(y, testURI, ConnectionServer, "", "", sexts, nil)
				var got atomic.Int64
				done := make(chan struct{})
				target := int64(b.N)
				server.OnMessage(func(DataType, []byte) {
					if got.Add(1) == target {
						close(done)
					}
				})
				b.SetBytes(int64(len(m.data)))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					benchSend(b, client, m.data)
				}
				<-done
				b.StopTimer()
				client.Abort()
				server.Abort()
			})
		}
	}
}

// BenchmarkIdleConnection reports the heap and the goroutine stacks that an
// idle connection holds (both ends of TCP connections on 127.0.0.1, after
// one message each way), and its goroutines. Run it with -benchtime 1x: in later iterations the
// connections of the earlier ones are still being freed, which skews the
// heap figure.
func BenchmarkIdleConnection(b *testing.B) {
	const pairs = 200
	for i := 0; i < b.N; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()
		var conns []*WebsocketConnection
		for j := 0; j < pairs; j++ {
			accepted := make(chan net.Conn, 1)
			go func() {
				c, _ := ln.Accept()
				accepted <- c
			}()
			x, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			y := <-accepted
			client := NewWebsocketConnection(x, testURI, ConnectionClient, "", "", nil, nil)
			server := NewWebsocketConnection(y, testURI, ConnectionServer, "", "", nil, nil)
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			client.SendText("hello")
			if _, err := server.ReceiveText(ctx); err != nil {
				b.Fatal(err)
			}
			server.SendText("hello")
			if _, err := client.ReceiveText(ctx); err != nil {
				b.Fatal(err)
			}
			cancel()
			conns = append(conns, client, server)
		}
		for _, c := range conns { // let writers and dispatchers end
			c.Flush(context.Background())
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(2*pairs), "B/conn")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(2*pairs), "stackB/conn")
		b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/float64(2*pairs), "goroutines/conn")
		for _, c := range conns {
			c.Abort()
		}
		ln.Close()
	}
}

// BenchmarkEcho measures request/response traffic over TCP on 127.0.0.1:
// the client sends a message, the server's handler sends it back, the
// client receives it. An op is one round trip: two messages sent, two
// received. Its allocations are the steady-state cost: a received message
// is one allocation (the receiver's slice), a sent one none.
func BenchmarkEcho(b *testing.B) {
	json := []byte(strings.Repeat(`{"id":12345,"user":"ada","text":"hello, world","tags":["a","b"]},`, 17000))
	for _, mode := range []string{"plain", "deflate", "deflate-no-context"} {
		for _, size := range []int{16, 1 << 10, 64 << 10, 1 << 20} {
			b.Run(mode+"/"+sizeName(size), func(b *testing.B) {
				var cexts, sexts []extensions.Extension
				if mode != "plain" {
					noCtx := mode == "deflate-no-context"
					o := extensions.DeflateOptions{ClientNoContextTakeover: noCtx, ServerNoContextTakeover: noCtx}
					cexts, sexts = negotiate(b, deflateReg(o), deflateReg(o))
				}
				x, y := tcpConns(b)
				opts := &Options{MaxIncomingPayloadSize: 2 << 20, MaxTotalMessageSize: 2 << 20}
				client := NewWebsocketConnection(x, testURI, ConnectionClient, "", "", cexts, opts)
				server := NewWebsocketConnection(y, testURI, ConnectionServer, "", "", sexts, opts)
				defer client.Abort()
				defer server.Abort()
				server.OnMessage(func(typ DataType, d []byte) { _ = server.SendMessage(typ, d) })
				ctx := context.Background()
				msg := json[:size]
				roundTrip := func() {
					if err := client.SendMessage(DataText, msg); err != nil {
						b.Fatal(err)
					}
					if _, _, err := client.Receive(ctx); err != nil {
						b.Fatal(err)
					}
				}
				for range 10 {
					roundTrip()
				}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					roundTrip()
				}
			})
		}
	}
}
