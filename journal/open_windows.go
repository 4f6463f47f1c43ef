//go:build windows

package journal

import (
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Go opens files on Windows without FILE_SHARE_DELETE, so while a server
// held the journal, or read its key, no one could rename or delete it: a
// rotation, an editor's save, or another server removing the temporary name
// of a key it had just linked into place failed with a sharing violation.
// The journal's files are opened sharing delete too.
const shareAll = windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE

// openAppend opens the file at path for reading and appending, creating it
// if needed, as os.OpenFile(path, O_CREATE|O_RDWR|O_APPEND, 0o600) does
// (whose mode means nothing here but "not read-only").
func openAppend(path string) (*os.File, error) {
	// FILE_APPEND_DATA without FILE_WRITE_DATA: every write goes to the end,
	// as with os.OpenFile's O_APPEND.
	access := uint32(windows.GENERIC_READ | windows.FILE_APPEND_DATA | windows.FILE_WRITE_ATTRIBUTES |
		windows.FILE_WRITE_EA | windows.STANDARD_RIGHTS_WRITE | windows.SYNCHRONIZE)
	return open(path, access, windows.OPEN_ALWAYS)
}

// openRead opens the file at path for reading, as os.Open.
func openRead(path string) (*os.File, error) {
	return open(path, windows.GENERIC_READ, windows.OPEN_EXISTING)
}

func open(path string, access, createMode uint32) (*os.File, error) {
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	// A nil SecurityAttributes: the handle is not inherited by processes
	// this one starts, as with os.OpenFile.
	h, err := windows.CreateFile(name, access, shareAll, nil, createMode, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// fileStandardInfo is Windows' FILE_STANDARD_INFO.
type fileStandardInfo struct {
	AllocationSize int64
	EndOfFile      int64
	NumberOfLinks  uint32
	DeletePending  bool
	Directory      bool
}

// deletePending reports whether f's file was deleted while open. Where a
// delete takes the name at once (NTFS since Windows 10 1809), the path no
// longer leads to it; where it does not (FAT, exFAT, some network shares),
// the file stays at its path, the same file, until its last handle closes,
// and then goes with every entry written to it since.
func deletePending(f *os.File) bool {
	var info fileStandardInfo
	err := windows.GetFileInformationByHandleEx(windows.Handle(f.Fd()), windows.FileStandardInfo, (*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
	return err == nil && info.DeletePending
}
