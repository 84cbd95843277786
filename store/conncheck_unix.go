//go:build linux || darwin || freebsd || netbsd || openbsd

package store

import (
	"errors"
	"net"
	"syscall"
)

// idleConnAlive reports whether an idle connection is still open: its peer
// has not closed it and has sent nothing (an idle PostgreSQL connection has
// nothing to read; a pooler that closes it sends an error first). It peeks
// without blocking and without consuming anything.
func idleConnAlive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	alive := true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK):
			alive = true
		case rerr != nil, n >= 0:
			// An error, end of stream (0) or unexpected bytes.
			alive = false
		}
		return true
	})
	return err == nil && alive
}
