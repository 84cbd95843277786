//go:build unix && !linux

package pgtest

import "syscall"

// setDeathSignal does nothing: parent-death signals are Linux-only. A server
// whose test binary is killed keeps running until killed by hand.
func setDeathSignal(*syscall.SysProcAttr) {}
