//go:build !windows

package app

import "os"

// colorConsole reports whether the terminal f shows the colour sequences the
// human-readable log writes: every terminal does here.
func colorConsole(*os.File) bool { return true }
