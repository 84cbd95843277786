package pgtest

import "syscall"

// setDeathSignal makes the kernel SIGKILL the child when the thread that
// started it exits (see startLocked), so a killed test binary does not leave
// a server behind.
func setDeathSignal(a *syscall.SysProcAttr) {
	a.Pdeathsig = syscall.SIGKILL
}
