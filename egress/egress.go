// Package egress decides which network addresses the service's outbound
// requests (webhook deliveries) may reach: one table of the ranges of the
// IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and its
// updates), plus multicast, the IPv6 space outside global unicast, and the
// host's own interface addresses.
//
// Each range is one of two kinds. Private ranges (loopback, RFC 1918,
// shared address space, unique-local) are refused unless the operator
// allows private targets (Policy.AllowPrivate). Every other range
// (documentation, benchmarking, reserved, link-local with cloud metadata,
// multicast, this-network, the protocol assignments, ...) is refused
// always. Addresses that carry an IPv4 address inside (IPv4-mapped,
// IPv4-translated, NAT64 64:ff9b::/96 and 64:ff9b:1::/48) are judged by the
// IPv4 address they carry. The host's own interface addresses are refused
// always, except loopback ones, which follow AllowPrivate like all loopback.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// ErrForbiddenAddress is the error of an address outbound requests may not
// reach.
var ErrForbiddenAddress = errors.New("destination address not allowed")

// Kind is how a range is refused.
type Kind int

// The kinds of ranges.
const (
	// Always: refused whatever the policy.
	Always Kind = iota
	// Private: refused unless Policy.AllowPrivate.
	Private
)

// Range is one row of the table: a prefix, what it is, and how it is
// refused.
type Range struct {
	Prefix netip.Prefix
	Name   string
	Kind   Kind
}

func r(p, name string, k Kind) Range {
	return Range{Prefix: netip.MustParsePrefix(p), Name: name, Kind: k}
}

// Table is every refused range, IPv4 then IPv6: the IANA special-purpose
// address registries (as of 2025) and multicast. Addresses that embed an
// IPv4 address are unwrapped before the table is consulted (see Embedded),
// so their rows here only catch what is left.
var Table = []Range{
	// IANA IPv4 Special-Purpose Address Registry.
	r("0.0.0.0/8", "this network (RFC 791)", Always),
	r("10.0.0.0/8", "private-use (RFC 1918)", Private),
	r("100.64.0.0/10", "shared address space (RFC 6598)", Private),
	r("127.0.0.0/8", "loopback (RFC 1122)", Private),
	r("169.254.0.0/16", "link-local, cloud metadata (RFC 3927)", Always),
	r("172.16.0.0/12", "private-use (RFC 1918)", Private),
	r("192.0.0.0/24", "IETF protocol assignments (RFC 6890)", Always),
	r("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)", Always),
	r("192.31.196.0/24", "AS112-v4 (RFC 7535)", Always),
	r("192.52.193.0/24", "AMT (RFC 7450)", Always),
	r("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)", Always),
	r("192.168.0.0/16", "private-use (RFC 1918)", Private),
	r("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)", Always),
	r("198.18.0.0/15", "benchmarking (RFC 2544)", Always),
	r("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)", Always),
	r("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)", Always),
	r("224.0.0.0/4", "multicast (RFC 5771)", Always),
	r("240.0.0.0/4", "reserved (RFC 1112)", Always),
	r("255.255.255.255/32", "limited broadcast (RFC 919)", Always),

	// IANA IPv6 Special-Purpose Address Registry.
	r("::1/128", "loopback (RFC 4291)", Private),
	r("::/128", "unspecified (RFC 4291)", Always),
	r("::/96", "IPv4-compatible, deprecated (RFC 4291)", Always),
	r("::ffff:0:0/96", "IPv4-mapped (RFC 4291)", Always),
	r("::ffff:0:0:0/96", "IPv4-translated (RFC 2765)", Always),
	r("64:ff9b::/96", "IPv4-IPv6 translation, NAT64 (RFC 6052)", Always),
	r("64:ff9b:1::/48", "local-use IPv4-IPv6 translation (RFC 8215)", Always),
	r("100::/64", "discard-only (RFC 6666)", Always),
	r("2001::/23", "IETF protocol assignments (RFC 2928)", Always),
	r("2001::/32", "Teredo (RFC 4380)", Always),
	r("2001:2::/48", "benchmarking (RFC 5180)", Always),
	r("2001:db8::/32", "documentation (RFC 3849)", Always),
	r("2002::/16", "6to4 (RFC 3056)", Always),
	r("2620:4f:8000::/48", "direct delegation AS112 service (RFC 7534)", Always),
	r("3fff::/20", "documentation (RFC 9637)", Always),
	r("5f00::/16", "segment routing SIDs (RFC 9602)", Always),
	r("fc00::/7", "unique-local (RFC 4193)", Private),
	r("fe80::/10", "link-local unicast (RFC 4291)", Always),
	r("fec0::/10", "site-local, deprecated (RFC 3879)", Always),
	r("ff00::/8", "multicast (RFC 4291)", Always),
}

// globalUnicast6 is the IPv6 space IANA allocates for global unicast: the
// rest is reserved.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// embedding prefixes: the IPv4 address is the last 32 bits.
var (
	mapped     = netip.MustParsePrefix("::ffff:0:0/96")
	translated = netip.MustParsePrefix("::ffff:0:0:0/96")
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
)

// Embedded is the IPv4 address an IPv6 address carries in its last 32
// bits when it is IPv4-mapped, IPv4-translated or a NAT64 (well-known or
// local-use /96) address; ok is false otherwise.
func Embedded(ip netip.Addr) (v4 netip.Addr, ok bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	ip = ip.WithZone("")
	for _, p := range []netip.Prefix{mapped, translated, nat64, nat64Local} {
		if p.Contains(ip) {
			b := ip.As16()
			return netip.AddrFrom4([4]byte(b[12:])), true
		}
	}
	return netip.Addr{}, false
}

// Lookup is the row of the table that holds ip (the narrowest), after
// unwrapping an embedded IPv4 address; ok is false when no row does.
func Lookup(ip netip.Addr) (Range, bool) {
	if v4, ok := Embedded(ip); ok {
		ip = v4
	}
	ip = ip.WithZone("")
	best, found := Range{}, false
	for _, row := range Table {
		if row.Prefix.Contains(ip) && (!found || row.Prefix.Bits() > best.Prefix.Bits()) {
			best, found = row, true
		}
	}
	return best, found
}

// Check refuses an address outbound requests may not reach under the
// policy allowPrivate, ignoring the host's own addresses (Policy.Check
// adds those). The error wraps ErrForbiddenAddress and names the range.
func Check(ip netip.Addr, allowPrivate bool) error {
	if !ip.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrForbiddenAddress)
	}
	shown := ip
	row, ok := Lookup(ip)
	switch {
	case ok && row.Kind == Private && allowPrivate:
		return nil
	case ok && row.Kind == Private:
		return fmt.Errorf("%w: %s is %s; private addresses are refused unless allowed", ErrForbiddenAddress, shown, row.Name)
	case ok:
		return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, shown, row.Name)
	}
	if v4, emb := Embedded(ip); emb {
		ip = v4
	}
	if ip.Is6() && !globalUnicast6.Contains(ip.WithZone("")) {
		return fmt.Errorf("%w: %s is outside IPv6 global unicast (2000::/3)", ErrForbiddenAddress, shown)
	}
	return nil
}

// Policy is where outbound requests may go: the table, private ranges
// only when AllowPrivate, and never the host's own addresses.
type Policy struct {
	// AllowPrivate lets requests reach loopback, private, shared and
	// unique-local addresses (tests, or receivers on the operator's own
	// network).
	AllowPrivate bool
	// Resolver resolves host names (at check time and, in package
	// webhook's dialer, at connect time); nil: the system's.
	Resolver *net.Resolver
	// LookupHost, when set, resolves host names at check time instead of
	// Resolver (tests replace DNS with it).
	LookupHost func(ctx context.Context, host string) ([]netip.Addr, error)
	// Own lists the host's own addresses; nil: OwnAddrs.
	Own func() []netip.Addr
}

// Check refuses ip under the policy: the table, then the host's own
// addresses (loopback aside, which the table already judged).
func (p Policy) Check(ip netip.Addr) error {
	if err := Check(ip, p.AllowPrivate); err != nil {
		return err
	}
	plain := ip.WithZone("")
	if v4, ok := Embedded(plain); ok {
		plain = v4
	}
	if plain.IsLoopback() {
		return nil
	}
	own := p.Own
	if own == nil {
		own = OwnAddrs
	}
	for _, a := range own() {
		if a.Unmap().WithZone("") == plain {
			return fmt.Errorf("%w: %s is an address of this host", ErrForbiddenAddress, ip)
		}
	}
	return nil
}

// CheckHost refuses a host (a name or a literal address, as a URL's
// Hostname gives it) when any address it stands for is refused. A name
// is resolved with the policy's resolver, bounded by a few seconds; a
// name that does not resolve is an error too.
func (p Policy) CheckHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.Check(ip)
	}
	lookup := p.LookupHost
	if lookup == nil {
		res := p.Resolver
		if res == nil {
			res = net.DefaultResolver
		}
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return res.LookupNetIP(ctx, "ip", host)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := lookup(ctx, host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		if err := p.Check(a); err != nil {
			return fmt.Errorf("%s resolves to a refused address: %w", host, err)
		}
	}
	return nil
}

// ownCache keeps the host's interface addresses for a short while:
// connections are checked often, interfaces change rarely.
var ownCache struct {
	sync.Mutex
	at    time.Time
	addrs []netip.Addr
}

// ownTTL is how long OwnAddrs reuses what it read.
const ownTTL = 10 * time.Second

// OwnAddrs is the host's interface addresses (net.InterfaceAddrs), read
// at most every few seconds.
func OwnAddrs() []netip.Addr {
	ownCache.Lock()
	defer ownCache.Unlock()
	if time.Since(ownCache.at) < ownTTL && ownCache.addrs != nil {
		return ownCache.addrs
	}
	ifas, err := net.InterfaceAddrs()
	if err != nil {
		return ownCache.addrs // keep what we had
	}
	out := make([]netip.Addr, 0, len(ifas))
	for _, a := range ifas {
		if pfx, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, pfx.Addr().Unmap().WithZone(""))
		}
	}
	ownCache.at, ownCache.addrs = time.Now(), out
	return out
}
