//go:build !windows

package journal

import "os"

// openAppend opens the file at path for reading and appending, creating it
// (mode 0600) if needed.
func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
}

// openRead opens the file at path for reading.
func openRead(path string) (*os.File, error) {
	return os.Open(path)
}

// deletePending reports whether f's file was deleted while open and is kept
// until it is closed: never here, where a deleted file leaves its path at once.
func deletePending(*os.File) bool { return false }
