//go:build linux

package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/internal/echotest"
)

// What the page and the Go client say in TestChat. The room's name and
// the page's message hold what must survive the way: a space, an
// ampersand, more than ASCII, and markup that the page must show as text.
const (
	chatRoom        = "interop & chat ☕"
	chatPageMessage = "<b>hello</b> from Chromium & its page ☕"
	chatGoMessage   = "hello from a wsconn client"
)

// Timing of TestChat's browser.
const (
	chatPageTimeout = 45 * time.Second // each wait of chat_page.js
	chatRunTimeout  = 90 * time.Second // the whole run of chat_page.js, the browser's start included
	chatWait        = 30 * time.Second // the test's own waits: the room's members, a message
)

// The viewport of chat_page.js, and so the screenshot's size.
const chatViewportWidth, chatViewportHeight = 800, 600

// chatResult is what chat_page.js prints once the messages are on the
// page.
type chatResult struct {
	Items        []string  `json:"items"`
	ItemBoxes    []chatBox `json:"item_boxes"`
	ListBox      chatBox   `json:"list_box"`
	Status       string    `json:"status"`
	State        string    `json:"state"`
	Hash         string    `json:"hash"`
	MessageField string    `json:"message_field"`
	Viewport     struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"viewport"`
	Screenshot string `json:"screenshot"`
	Browser    string `json:"browser"`
}

// TestChat runs examples/chat alone (its in-process hub) and uses its
// page in the suite's Chromium as a person would (peers/chat_page.js): the
// page joins its default room, then the test's room through the Room
// field, and sends a message typed into the message field, while a
// wsconn client in the same room sends another. Both messages must appear
// on the page as the list's only items, as text, and reach the wsconn
// client; the screenshot of the viewport must be the viewport's size and
// show both items as dark text on a light background. The server must
// have seen the page join the room by its name, percent-decoded, and must
// close the wsconn client with 1001 and exit 0 on SIGTERM.
//
// WSCONN_CHAT_SCREENSHOT=FILE keeps the screenshot in FILE. Chromium, node
// and playwright-core are found and skipped as in TestInterop.
func TestChat(t *testing.T) {
	if os.Getenv("WSCONN_INTEROP") == "skip" {
		t.Skip("WSCONN_INTEROP=skip")
	}
	if testing.Short() {
		t.Skip("TestChat builds examples/chat and starts a browser; skipped in -short mode")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	node := pagePeer(t, dir, "TestChat")
	start := time.Now()
	srv := startChat(t, echotest.BuildExamples(t, raceEnabled, "chat")[0], "-v")
	t.Logf("built and started examples/chat in %v: http://%s/", time.Since(start).Round(time.Millisecond), srv.addr)

	ctx, cancel := context.WithTimeout(context.Background(), chatWait)
	defer cancel()
	client, _, err := wsconn.Dial(ctx, "ws://"+srv.addr+"/room/"+url.PathEscape(chatRoom), nil)
	if err != nil {
		t.Fatalf("wsconn client: %v", err)
	}
	defer client.Abort()
	if err := srv.waitHub(ctx, "the client in the room", func(h chatHubStats) bool { return h.Connections == 1 }); err != nil {
		t.Fatal(err)
	}

	shot := filepath.Join(t.TempDir(), "chat.png")
	pageStart := time.Now()
	res := chatRun(t, dir, node, srv, client, shot)
	t.Logf("the page ran in %v (%s); it shows %q, status %q", time.Since(pageStart).Round(time.Millisecond), res.Browser, res.Items, res.Status)
	if keep := os.Getenv("WSCONN_CHAT_SCREENSHOT"); keep != "" {
		if b, err := os.ReadFile(shot); err != nil {
			t.Error(err)
		} else if err := os.WriteFile(keep, b, 0o644); err != nil {
			t.Error(err)
		} else {
			t.Logf("the screenshot is in %s", keep)
		}
	}

	// The page.
	want := []string{chatPageMessage, chatGoMessage}
	if got := slices.Sorted(slices.Values(res.Items)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("the page's list holds %q, want exactly %q in any order", res.Items, want)
	}
	if res.State != "open" || !strings.Contains(res.Status, chatRoom) || res.MessageField != "" {
		t.Errorf("the page's status %q (%s), message field %q; want in room %q, the field emptied by Send", res.Status, res.State, res.MessageField, chatRoom)
	}
	if res.Viewport.Width != chatViewportWidth || res.Viewport.Height != chatViewportHeight || len(res.ItemBoxes) != len(res.Items) {
		t.Fatalf("chat_page.js reports viewport %+v and %d item boxes for %d items; want %dx%d and a box each",
			res.Viewport, len(res.ItemBoxes), len(res.Items), chatViewportWidth, chatViewportHeight)
	}
	boxes := make(map[string]chatBox)
	for i, item := range res.Items {
		boxes[fmt.Sprintf("the list item %q", item)] = res.ItemBoxes[i]
	}
	if err := checkChatScreenshot(shot, chatViewportWidth, chatViewportHeight, boxes); err != nil {
		t.Error(err)
	}

	// The wsconn client hears the page and itself.
	var heard []string
	for len(heard) < len(want) {
		typ, data, err := client.Receive(ctx)
		if err != nil {
			t.Fatalf("wsconn client: after %q: %v", heard, err)
		}
		if typ != wsconn.DataText {
			t.Fatalf("wsconn client: a %s message", typ)
		}
		heard = append(heard, string(data))
	}
	if slices.Sort(heard); !slices.Equal(heard, slices.Sorted(slices.Values(want))) {
		t.Errorf("wsconn client heard %q, want %q", heard, want)
	}

	// The server: the page's room by its name, and the shutdown.
	for _, room := range []string{"lobby", chatRoom} {
		if line := fmt.Sprintf(" joined room %q", room); !strings.Contains(srv.stderr.String(), line) {
			t.Errorf("the server's -v lines lack %q:\n%s", line, srv.stderr)
		}
	}
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}
	select {
	case <-client.Done():
		if st := client.CloseStatus(); st.Code != wsconn.CloseGoingAway || !st.Remote || !st.Clean {
			t.Errorf("wsconn client after the server's SIGTERM: %s; want closed cleanly by the server with 1001", st)
		}
	case <-ctx.Done():
		t.Error("wsconn client: still open after the server exited")
	}
	t.Logf("TestChat took %v", time.Since(start).Round(time.Millisecond))
}

// chatRun runs peers/chat_page.js on the server's page. Once the page is
// in the room, and the server has it there, client sends its message.
// It returns the script's result.
func chatRun(t *testing.T, dir, node string, srv *chatServer, client *wsconn.WebsocketConnection, shot string) *chatResult {
	t.Helper()
	cmd := exec.Command(node, "peers/chat_page.js",
		"--user-data-dir", t.TempDir(),
		"--executable", chromiumPath,
		"--timeout-ms", fmt.Sprint(chatPageTimeout.Milliseconds()),
		"--room", chatRoom,
		"--send", chatPageMessage,
		"--expect", chatGoMessage,
		"--screenshot", shot,
		"http://"+srv.addr+"/")
	cmd.Dir = dir
	cmd.Env = agentEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // see killTree
	cmd.WaitDelay = agentStopTimeout
	stderr := &tail{max: 64 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting peers/chat_page.js: %v", err)
	}
	defer killTree(cmd.Process.Pid) // whatever the browser left behind

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	deadline := time.NewTimer(chatRunTimeout)
	defer deadline.Stop()
	var res *chatResult
	var failure error
	for res == nil && failure == nil {
		select {
		case line, ok := <-lines:
			switch {
			case !ok:
				failure = errors.New("it printed no result")
			case line == "joined "+chatRoom:
				ctx, cancel := context.WithTimeout(context.Background(), chatWait)
				// The page has left the default room and is in the
				// client's: two connections in one room.
				err := srv.waitHub(ctx, "the page in the room", func(h chatHubStats) bool { return h.Connections == 2 && h.Topics == 1 })
				cancel()
				if err == nil {
					err = client.SendText(chatGoMessage)
				}
				failure = err
			default:
				res = new(chatResult)
				if err := json.Unmarshal([]byte(line), res); err != nil {
					failure = fmt.Errorf("it printed %q, not its JSON result: %v", line, err)
				}
			}
		case <-deadline.C:
			failure = fmt.Errorf("no result in %v", chatRunTimeout)
		}
	}
	if failure != nil {
		killTree(cmd.Process.Pid)
	}
	go func() {
		for range lines { // to the end, for Wait
		}
	}()
	waitErr := cmd.Wait() // bounded by WaitDelay once killed
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("peers/chat_page.js stderr (the page's console):\n%s", s)
	}
	if failure == nil && waitErr != nil {
		failure = waitErr
	}
	if failure != nil {
		t.Fatalf("peers/chat_page.js: %v; the server's stderr:\n%s", failure, srv.stderr)
	}
	return res
}
