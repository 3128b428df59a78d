package load

import (
	"context"
	"fmt"
	"sync"

	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// dialParallel is how many connections are opened at once.
const dialParallel = 32

// dialAll opens n WebSocket connections to url, and closes them all if one
// fails.
func dialAll(ctx context.Context, url string, n int, opts wsclient.Options) ([]*wsclient.Conn, error) {
	conns := make([]*wsclient.Conn, n)
	err := dialEach(n, func(i int) (err error) {
		conns[i], err = wsclient.Dial(ctx, url, opts)
		return err
	})
	if err != nil {
		for _, c := range conns {
			if c != nil {
				c.Abort()
			}
		}
		return nil, fmt.Errorf("load: dialing %s: %w", url, err)
	}
	return conns, nil
}

// dialEach calls dial(i) for every i below n, dialParallel at a time, and
// returns the error of the lowest i that failed.
func dialEach(n int, dial func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, dialParallel)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = dial(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
