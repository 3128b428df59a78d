package load

import (
	"context"
	"fmt"

	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// share returns how many of n subscribers spread over k servers in turn
// go to server i.
func share(n, k, i int) int {
	if i < n%k {
		return n/k + 1
	}
	return n / k
}

// dialSpread opens n subscribers, subscriber i on server i%len(urls),
// and closes them all if one fails.
func dialSpread(ctx context.Context, urls []string, n int, opts wsclient.Options) ([]*wsclient.Conn, error) {
	conns := make([]*wsclient.Conn, n)
	err := dialEach(n, func(i int) (err error) {
		url := urls[i%len(urls)]
		if conns[i], err = wsclient.Dial(ctx, url, opts); err != nil {
			return fmt.Errorf("load: dialing %s: %w", url, err)
		}
		return nil
	})
	if err != nil {
		for _, c := range conns {
			if c != nil {
				c.Abort()
			}
		}
		return nil, err
	}
	return conns, nil
}
