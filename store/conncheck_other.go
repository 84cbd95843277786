//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package store

import "net"

// idleConnAlive cannot look at the socket here: it trusts the connection.
func idleConnAlive(net.Conn) bool { return true }
