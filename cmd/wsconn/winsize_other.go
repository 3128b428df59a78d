//go:build !unix

package main

import "golang.org/x/term"

// watchResize does nothing where there is no SIGWINCH: the width read at
// start stays.
func watchResize(fd int, t *term.Terminal) (stop func()) { return func() {} }
