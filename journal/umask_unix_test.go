//go:build unix

package journal

import "syscall"

// Tests run with umask 0, so a mode the code asks for is the mode a test
// sees: under a strict umask (077) a file made 0644 would pass for private.
func init() { syscall.Umask(0) }
