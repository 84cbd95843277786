package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is the error of a connection to an address
// deliveries may not reach.
var ErrForbiddenAddress = errors.New("webhook: destination address not allowed")

// Address ranges refused beyond what netip classifies.
var (
	sharedNet = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT (RFC 6598)
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")     // "this network" (RFC 791)
	benchNet  = netip.MustParsePrefix("198.18.0.0/15") // benchmarking (RFC 2544)
	broadcast = netip.MustParseAddr("255.255.255.255")
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // NAT64: an IPv4 address inside (RFC 6052)
)

// CheckAddr refuses addresses a delivery must not reach: unspecified,
// multicast, broadcast and link-local (which holds cloud metadata
// services, 169.254.169.254) always; loopback, private (RFC 1918, unique
// local fc00::/7), shared and benchmarking ranges unless allowPrivate.
// IPv4-mapped and NAT64 addresses are judged by the IPv4 address inside.
func CheckAddr(ip netip.Addr, allowPrivate bool) error {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case !ip.IsValid(), ip.IsUnspecified(), ip.IsMulticast(), ip.IsLinkLocalUnicast(),
		ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(), ip == broadcast, thisNet.Contains(ip):
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
	case allowPrivate:
		return nil
	case ip.IsLoopback(), ip.IsPrivate(), sharedNet.Contains(ip), benchNet.Contains(ip):
		return fmt.Errorf("%w: %s (private addresses are refused unless allowed)", ErrForbiddenAddress, ip)
	}
	return nil
}

// control is a net.Dialer Control function that runs CheckAddr on the
// address being connected to: after name resolution, so a DNS answer
// cannot smuggle a forbidden address in.
func control(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
		}
		return CheckAddr(ip, allowPrivate)
	}
}

// Dialer returns the dialer deliveries connect through: every connection
// is checked by CheckAddr. resolver may be nil (the system's).
func Dialer(allowPrivate bool, resolver *net.Resolver) *net.Dialer {
	return &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Resolver:  resolver,
		Control:   control(allowPrivate),
	}
}

// HTTPClient returns the client deliveries are sent with: the checking
// dialer, no proxy (a proxy would connect on our behalf, unchecked), the
// timeout for the whole request, and redirects not followed (a 3xx is the
// response, and a failure).
func HTTPClient(timeout time.Duration, allowPrivate bool, resolver *net.Resolver) *http.Client {
	d := Dialer(allowPrivate, resolver)
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
