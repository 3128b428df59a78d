package iostream

import (
	"io"
	"net"
	"sync"
)

// Join returns a stream that reads from r and writes to w. It makes one
// io.ReadWriteCloser out of two one-way parts, such as os.Stdin and
// os.Stdout of a program that speaks WebSocket over its standard streams, or
// the pipes of a subprocess that does:
//
//	cmd := exec.Command("server")
//	stdin, _ := cmd.StdinPipe()   // we write to the child
//	stdout, _ := cmd.StdoutPipe() // we read from the child
//	s := iostream.Join(stdout, stdin)
//
// Close closes w and then r, each only if it is an io.Closer, and returns the
// first error. Each part is closed at most once; calls after the first do
// nothing and return nil.
//
// The stream also has the optional methods of this package, each of which
// uses the matching part: CloseWrite closes only w (and does nothing when w
// is not an io.Closer), so the peer reads end of stream while this side
// still reads; WaitRead waits through r when r is a ReadWaiter and returns
// nil at once otherwise; WriteBuffers writes through w with the
// WriteBuffers function.
func Join(r io.Reader, w io.Writer) io.ReadWriteCloser {
	return &joined{r: r, w: w}
}

// joined is the stream returned by Join.
type joined struct {
	r io.Reader
	w io.Writer

	wOnce, rOnce sync.Once
}

func (j *joined) Read(p []byte) (int, error) {
	return j.r.Read(p)
}

func (j *joined) Write(p []byte) (int, error) {
	return j.w.Write(p)
}

func (j *joined) WriteBuffers(bufs *net.Buffers) (int64, error) {
	return WriteBuffers(j.w, bufs)
}

func (j *joined) WaitRead() error {
	if rw, ok := j.r.(ReadWaiter); ok {
		return rw.WaitRead()
	}
	return nil
}

func (j *joined) CloseWrite() error {
	return j.closeW()
}

func (j *joined) Close() error {
	errW := j.closeW()
	var errR error
	j.rOnce.Do(func() { errR = closeIfCloser(j.r) })
	if errW != nil {
		return errW
	}
	return errR
}

// closeW closes w the first time it is called and returns nil afterwards.
func (j *joined) closeW() (err error) {
	j.wOnce.Do(func() { err = closeIfCloser(j.w) })
	return err
}

func closeIfCloser(v any) error {
	if c, ok := v.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
