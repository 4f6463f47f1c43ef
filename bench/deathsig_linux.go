package main

import (
	"os/exec"
	"syscall"
)

// dieWithBench has the kernel kill a server if the bench dies first (a
// signal, a CI timeout): an HTTP server would otherwise keep listening.
func dieWithBench(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
