package fanout

import "testing"

func TestPublisherURL(t *testing.T) {
	u, err := PublisherURL("ws://127.0.0.1:9001/room?x=1", 10000)
	if err != nil || u != "ws://127.0.0.1:9001/publish?subscribers=10000" {
		t.Fatalf("PublisherURL = %q, %v", u, err)
	}
	pub, n, err := ParseRequest("/publish?subscribers=10000")
	if !pub || n != 10000 || err != nil {
		t.Errorf("ParseRequest of the publisher = %v, %d, %v", pub, n, err)
	}
}

func TestParseRequest(t *testing.T) {
	for _, c := range []struct {
		uri string
		pub bool
		ok  bool
	}{
		{"/", false, true},
		{"/room/a?subscribers=3", false, true},
		{"/publish", true, false},
		{"/publish?subscribers=-1", true, false},
		{"/publish?subscribers=x", true, false},
		{"/publish?subscribers=0", true, true},
	} {
		pub, _, err := ParseRequest(c.uri)
		if pub != c.pub || (err == nil) != c.ok {
			t.Errorf("ParseRequest(%q) = %v, %v", c.uri, pub, err)
		}
	}
}
