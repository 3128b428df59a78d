//go:build unix

package iostream_test

import (
	"fmt"
	"io"
	"log"
	"os/exec"

	"github.com/wsconn/wsconn/iostream"
)

// A subprocess that speaks on its standard input and output: here cat,
// which echoes what it reads.
func ExampleJoin() {
	cmd := exec.Command("cat")
	stdin, err := cmd.StdinPipe() // the child's input, which we write
	if err != nil {
		log.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe() // the child's output, which we read
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	s := iostream.Join(stdout, stdin)

	if _, err := s.Write([]byte("hello, child")); err != nil {
		log.Fatal(err)
	}
	// Closing the writing half lets the child read end of stream, while
	// we still read what it says.
	s.(iostream.CloseWriter).CloseWrite()
	reply, err := io.ReadAll(s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply)

	s.Close()
	if err := cmd.Wait(); err != nil {
		log.Fatal(err)
	}
	// Output: hello, child
}
