package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/handshake"
)

// TestChatAcrossServers runs NATS and three chat servers connected to it,
// each a process of its own, with two clients of one room on each
// server and one client of another room. Every client of the room sends
// messages; every one must reach every client of the room on every
// server, the sender included, unchanged, in its sender's order, with
// nothing lost, duplicated or added, and none the other room. The
// servers' figures must show nothing dropped. On SIGTERM each server
// closes its clients with 1001 and exits 0.
func TestChatAcrossServers(t *testing.T) {
	natsURL := startNATS(t)
	var servers []*chatProcess
	for range 3 {
		servers = append(servers, startChat(t, "-nats", natsURL, "-v"))
	}
	start := time.Now()
	t.Logf("NATS at %s; chat servers at %s, %s and %s", natsURL, servers[0].addr, servers[1].addr, servers[2].addr)

	// A room name with a dot, a slash, spaces and more than ASCII: one
	// NATS subject token all the same.
	const room, otherRoom = "team.one/café ☕", "other"
	var members, others []*client
	clientsOf := make(map[*chatProcess][]*client)
	for i, s := range servers {
		for j := range 2 {
			cl := dialRoom(t, s.addr, room, fmt.Sprintf("s%dc%d", i, j), j == 0)
			members = append(members, cl)
			clientsOf[s] = append(clientsOf[s], cl)
		}
		cl := dialRoom(t, s.addr, otherRoom, fmt.Sprintf("s%dother", i), false)
		others = append(others, cl)
		clientsOf[s] = append(clientsOf[s], cl)
	}
	// The handshake ends before the server joins the client to its room
	// (and, for a room new to the server, subscribes to it in NATS):
	// wait for every server to have joined all of its clients.
	for _, s := range servers {
		s.waitVars(t, "3 connections in 2 rooms", func(v serverVars) bool {
			return v.Hub.Connections == 3 && v.Hub.Topics == 2
		})
	}

	t.Logf("%d clients joined in %v", len(members)+len(others), time.Since(start).Round(time.Millisecond))

	const perSender = 20
	exchange(t, members, perSender)
	otherRoomOnly(t, others, members)
	t.Logf("%d messages exchanged in %v", len(members)*(perSender+1), time.Since(start).Round(time.Millisecond))

	roomMessages := uint64(len(members) * (perSender + 1))
	for _, s := range servers {
		v := s.vars(t)
		// Each hub receives every message of its two rooms from NATS.
		wantPublished := roomMessages + 1
		wantDelivered := 2*roomMessages + 1
		if v.Hub.Published != wantPublished || v.Hub.Delivered != wantDelivered ||
			v.Hub.Dropped != 0 || v.Hub.SlowClosed != 0 || v.Chat.Lost != 0 {
			t.Errorf("%s: figures %+v; want %d published, %d delivered, nothing dropped, closed or lost",
				s.name, v, wantPublished, wantDelivered)
		}
	}

	// All at once: a process built with the race detector waits a
	// second before it exits.
	stopped := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { stopped[i] = s.Stop() })
	}
	wg.Wait()
	for i, s := range servers {
		if stopped[i] != nil {
			t.Error(stopped[i])
		}
		checkGoingAway(t, clientsOf[s])
	}
	t.Logf("servers stopped in %v", time.Since(start).Round(time.Millisecond))
}

// TestChatAlone runs one chat server without -nats: its rooms are its
// own. It checks the page, the exchange of messages in a room, that a
// binary message is refused with 1003, the origin check, room names that
// are refused, the -v lines, and the 1001 close on SIGTERM.
func TestChatAlone(t *testing.T) {
	s := startChat(t, "-v")
	t.Run("page", func(t *testing.T) { checkPage(t, s.addr) })

	var members []*client
	for i := range 3 {
		members = append(members, dialRoom(t, s.addr, "lobby", fmt.Sprintf("c%d", i), i == 0))
	}
	others := []*client{dialRoom(t, s.addr, "other", "other", false)}
	s.waitVars(t, "4 connections in 2 rooms", func(v serverVars) bool {
		return v.Hub.Connections == 4 && v.Hub.Topics == 2
	})
	s.waitLine(t, s.stderr, joinedLine("lobby"))
	s.waitLine(t, s.stderr, joinedLine("other"))

	const perSender = 10
	exchange(t, members, perSender)

	t.Run("binary refused", func(t *testing.T) {
		cl := dialRoom(t, s.addr, "lobby", "binary", false)
		if err := cl.c.SendBinary([]byte("binary")); err != nil {
			t.Fatal(err)
		}
		st := cl.closed(t)
		if st.Code != wsconn.CloseUnsupportedData || st.Reason != "text messages only" || !st.Remote {
			t.Errorf("a client that sent a binary message: %s; want closed by the server with 1003 \"text messages only\"", st)
		}
		s.waitVars(t, "one binary message refused", func(v serverVars) bool { return v.Chat.BinaryRefused == 1 })
	})
	otherRoomOnly(t, others, members)

	roomMessages := uint64(len(members) * (perSender + 1))
	v := s.vars(t)
	if want := roomMessages + 1; v.Hub.Published != want || v.Hub.Dropped != 0 || v.Chat.Lost != 0 {
		t.Errorf("figures %+v; want %d published, nothing dropped or lost", v, want)
	}

	t.Run("origin", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		_, _, err := wsconn.Dial(ctx, roomURL(s.addr, "lobby"), &wsconn.DialOptions{Origin: "http://elsewhere.example"})
		var refused *handshake.StatusError
		if !errors.As(err, &refused) || refused.StatusCode != 403 {
			t.Errorf("a handshake from another origin: %v; want 403", err)
		} else {
			refused.Response.Body.Close()
		}
		c, _, err := wsconn.Dial(ctx, roomURL(s.addr, "lobby"), &wsconn.DialOptions{Origin: "http://" + s.addr})
		if err != nil {
			t.Fatalf("a handshake from the page's origin: %v", err)
		}
		c.Close(wsconn.CloseNormal, "")
	})

	t.Run("room names", func(t *testing.T) {
		for _, tc := range []struct {
			room   string
			status int
		}{{"", 404}, {strings.Repeat("r", maxRoomBytes+1), 400}} {
			ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
			_, _, err := wsconn.Dial(ctx, roomURL(s.addr, tc.room), nil)
			cancel()
			var refused *handshake.StatusError
			if !errors.As(err, &refused) || refused.StatusCode != tc.status {
				t.Errorf("room of %d bytes: %v; want %d", len(tc.room), err, tc.status)
			} else {
				refused.Response.Body.Close()
			}
		}
		// The longest name is a room.
		cl := dialRoom(t, s.addr, strings.Repeat("r", maxRoomBytes), "long", false)
		cl.send(t, "hello")
		if _, err := cl.in.wait(messageTimeout, "its message back", func(m []string) bool { return len(m) == 1 }); err != nil {
			t.Error(err)
		}
	})

	if err := s.Stop(); err != nil {
		t.Error(err)
	}
	checkGoingAway(t, append(members, others...))
}

// TestChatNATSUnreachable: with -nats naming a port where nothing
// listens, the server says so and exits 1 without listening.
func TestChatNATSUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	natsURL := "nats://" + ln.Addr().String()
	ln.Close()
	p := start(t, "chat", chatBinary(t), "-addr", "127.0.0.1:0", "-nats", natsURL)
	if code := p.exitCode(t); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	out, _ := p.stdout.snapshot()
	stderr := p.output(p.stderr)
	if len(out) != 0 || !strings.Contains(stderr, "cannot connect to NATS at "+natsURL) {
		t.Errorf("stdout %q, stderr %q; want nothing, and a line that says it cannot connect to NATS at %s", out, stderr, natsURL)
	}
}

// exchange has every member of a room send perSender messages, then a
// last one, "NAME done", and checks that each member receives exactly
// the messages of every member, its own included, unchanged and in each
// sender's order.
func exchange(t *testing.T, members []*client, perSender int) {
	t.Helper()
	want := make(map[string][]string) // by sender
	for k := range perSender {
		for _, cl := range members { // interleaved, as in a conversation
			msg := fmt.Sprintf("%s %d", cl.name, k)
			switch k {
			case 0: // text as it comes: markup, tabs, more than ASCII
				msg += " <b>not bold</b> &amp;\ttab, héllo ☕ 🎉"
			case 1: // nearly the largest message
				msg += " " + strings.Repeat("0123456789abcdef", (maxMessage-64)/16)
			}
			cl.send(t, msg)
			want[cl.name] = append(want[cl.name], msg)
		}
	}
	done := make(map[string]bool)
	for _, cl := range members {
		msg := cl.name + " done"
		cl.send(t, msg)
		want[cl.name] = append(want[cl.name], msg)
		done[msg] = true
	}

	for _, cl := range members {
		got, err := cl.in.wait(messageTimeout, "every sender's last message", func(m []string) bool {
			n := 0
			for _, msg := range m {
				if done[msg] {
					n++
				}
			}
			return n == len(done)
		})
		if err != nil {
			t.Errorf("%s: %v", cl.name, err)
			continue
		}
		bySender := make(map[string][]string)
		for _, msg := range got {
			sender, _, _ := strings.Cut(msg, " ")
			bySender[sender] = append(bySender[sender], msg)
		}
		for sender, msgs := range bySender {
			if want[sender] == nil {
				t.Errorf("%s: %d messages from no member: %s", cl.name, len(msgs), abbreviate(msgs))
			}
		}
		for sender, w := range want {
			if g := bySender[sender]; !slices.Equal(g, w) {
				t.Errorf("%s: from %s: %s", cl.name, sender, difference(g, w))
			}
		}
	}
}

// difference describes how got differs from want, at the first message
// where it does.
func difference(got, want []string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	first := func(m []string) string {
		if i < len(m) {
			return abbreviate(m[i : i+1])
		}
		return "nothing"
	}
	return fmt.Sprintf("got %d messages, want %d; message %d is %s, want %s", len(got), len(want), i, first(got), first(want))
}

// otherRoomOnly has the last of others, the clients of another room,
// send a message, which every one of them must receive and nothing else,
// and checks that the members of the first room receive no more.
func otherRoomOnly(t *testing.T, others, members []*client) {
	t.Helper()
	before := make([]int, len(members))
	for i, cl := range members {
		m, _ := cl.in.snapshot()
		before[i] = len(m)
	}
	const msg = "other room: bye"
	others[len(others)-1].send(t, msg)
	for _, cl := range others {
		got, err := cl.in.wait(messageTimeout, "a message", func(m []string) bool { return len(m) > 0 })
		if err != nil {
			t.Errorf("%s: %v", cl.name, err)
		} else if len(got) != 1 || got[0] != msg {
			t.Errorf("%s, in another room: got %s, want only %q", cl.name, abbreviate(got), msg)
		}
	}
	for i, cl := range members {
		if m, _ := cl.in.snapshot(); len(m) != before[i] {
			t.Errorf("%s: %d more messages after the exchange: %s", cl.name, len(m)-before[i], abbreviate(m[before[i]:]))
		}
	}
}

// checkGoingAway checks that the server closed every client with 1001,
// cleanly.
func checkGoingAway(t *testing.T, clients []*client) {
	t.Helper()
	for _, cl := range clients {
		if st := cl.closed(t); st.Code != wsconn.CloseGoingAway || !st.Remote || !st.Clean {
			t.Errorf("%s after SIGTERM: %s; want closed cleanly by the server with 1001", cl.name, st)
		}
	}
}
