package webhook

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/acme/directory/egress"
)

// ErrForbiddenAddress is the error of a connection to an address
// deliveries may not reach (egress.ErrForbiddenAddress).
var ErrForbiddenAddress = egress.ErrForbiddenAddress

// DefaultConnectTimeout bounds establishing one connection (a dead host
// that drops SYNs fails after this, not after the whole-request timeout).
const DefaultConnectTimeout = 3 * time.Second

// CheckAddr refuses addresses a delivery must not reach: every range of
// package egress's table (the IANA special-purpose registries, multicast,
// IPv6 outside global unicast), private ones (loopback, RFC 1918, shared,
// unique-local) unless allowPrivate. IPv4-mapped, IPv4-translated and
// NAT64 addresses are judged by the IPv4 address inside. The host's own
// addresses are refused at connect time too (egress.Policy.Check).
func CheckAddr(ip netip.Addr, allowPrivate bool) error {
	return egress.Check(ip, allowPrivate)
}

// control is a net.Dialer Control function that runs the policy on the
// address being connected to: after name resolution, so a DNS answer
// cannot smuggle a forbidden address in, and before the connect, so no
// packet leaves for a refused address.
func control(p egress.Policy) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
		}
		return p.Check(ip)
	}
}

// Dialer returns the dialer deliveries connect through: every connection
// is checked by CheckAddr and refused on the host's own addresses, and
// takes at most DefaultConnectTimeout. resolver may be nil (the system's).
func Dialer(allowPrivate bool, resolver *net.Resolver) *net.Dialer {
	return dialer(ClientConfig{Policy: egress.Policy{AllowPrivate: allowPrivate, Resolver: resolver}})
}

func dialer(c ClientConfig) *net.Dialer {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	return &net.Dialer{
		Timeout:   c.ConnectTimeout,
		KeepAlive: 30 * time.Second,
		Resolver:  c.Policy.Resolver,
		Control:   control(c.Policy),
	}
}

// ClientConfig configures the client deliveries are sent with.
type ClientConfig struct {
	// Timeout bounds one request, connection to last byte.
	Timeout time.Duration
	// ConnectTimeout bounds establishing the connection (name resolution
	// and TCP); 0: DefaultConnectTimeout. At most Timeout.
	ConnectTimeout time.Duration
	// Policy is where connections may go.
	Policy egress.Policy
}

// HTTPClient returns the client deliveries are sent with (NewHTTPClient)
// for a timeout, the private-address setting and a resolver (nil: the
// system's).
func HTTPClient(timeout time.Duration, allowPrivate bool, resolver *net.Resolver) *http.Client {
	return NewHTTPClient(ClientConfig{Timeout: timeout,
		Policy: egress.Policy{AllowPrivate: allowPrivate, Resolver: resolver}})
}

// NewHTTPClient returns the client deliveries are sent with: the checking
// dialer with its short connect timeout, no proxy (a proxy would connect
// on our behalf, unchecked), the timeout for the whole request, and
// redirects not followed (a 3xx is the response, and a failure: no hop is
// ever made to an unchecked target).
func NewHTTPClient(c ClientConfig) *http.Client {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	c.ConnectTimeout = min(c.ConnectTimeout, c.Timeout)
	d := dialer(c)
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   c.ConnectTimeout,
		ResponseHeaderTimeout: c.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       c.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
