//go:build windows

package app

import (
	"os"

	"golang.org/x/sys/windows"
)

// colorConsole turns on the console's handling of the colour sequences the
// human-readable log writes, and reports whether it is on: a console left
// without it (Windows 10's conhost, by default) prints them as text.
func colorConsole(f *os.File) bool {
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
