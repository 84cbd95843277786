package egress_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/acme/directory/egress"
)

// last is the last address of a prefix.
func last(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// TestEveryRangeIsRefusedToItsEdges checks each row of the table at its
// first and last address: refused (with the row's name in the error), and
// for private rows allowed only with allowPrivate.
func TestEveryRangeIsRefusedToItsEdges(t *testing.T) {
	v4, v6 := 0, 0
	for _, row := range egress.Table {
		if row.Prefix.Addr().Is4() {
			v4++
		} else {
			v6++
		}
		for _, ip := range []netip.Addr{row.Prefix.Masked().Addr(), last(row.Prefix)} {
			err := egress.Check(ip, false)
			if !errors.Is(err, egress.ErrForbiddenAddress) {
				t.Errorf("%s (%s, %s): %v; want refused", ip, row.Prefix, row.Name, err)
				continue
			}
			err = egress.Check(ip, true)
			_, embeds := egress.Embedded(ip)
			switch {
			case row.Kind == egress.Private && err != nil:
				t.Errorf("%s (%s, private): %v with allowPrivate; want allowed", ip, row.Prefix, err)
			case row.Kind == egress.Always && err == nil:
				t.Errorf("%s (%s, %s): allowed with allowPrivate; want refused always", ip, row.Prefix, row.Name)
			case row.Kind == egress.Always && !embeds && !strings.Contains(err.Error(), row.Name) &&
				!containsNarrower(ip, row):
				t.Errorf("%s: %v; want the reason %q", ip, err, row.Name)
			}
		}
	}
	if v4 < 19 || v6 < 20 {
		t.Errorf("table has %d IPv4 and %d IPv6 rows; want the registries' (19, 20)", v4, v6)
	}
}

// containsNarrower reports whether a narrower row than row holds ip.
func containsNarrower(ip netip.Addr, row egress.Range) bool {
	for _, r := range egress.Table {
		if r.Prefix.Bits() > row.Prefix.Bits() && r.Prefix.Contains(ip) {
			return true
		}
	}
	return false
}

func TestCheck(t *testing.T) {
	tests := []struct {
		ip           string
		allowPrivate bool
		ok           bool
	}{
		// Public: allowed.
		{"93.184.216.34", false, true},
		{"8.8.8.8", false, true},
		{"2606:4700::1111", false, true},
		{"2a00:1450:4001:80b::200e", false, true},
		// Just outside a range's edges: allowed.
		{"9.255.255.255", false, true},  // below 10.0.0.0/8
		{"11.0.0.0", false, true},       // above 10.0.0.0/8
		{"100.63.255.255", false, true}, // below 100.64.0.0/10
		{"100.128.0.0", false, true},    // above 100.64.0.0/10
		{"126.255.255.255", false, true},
		{"128.0.0.0", false, true},
		{"169.253.255.255", false, true},
		{"169.255.0.0", false, true},
		{"172.15.255.255", false, true},
		{"172.32.0.0", false, true},
		{"192.0.1.255", false, true},
		{"192.0.3.0", false, true},
		{"192.167.255.255", false, true},
		{"192.169.0.0", false, true},
		{"198.17.255.255", false, true},
		{"198.20.0.0", false, true},
		{"198.51.99.255", false, true},
		{"198.51.101.0", false, true},
		{"203.0.112.255", false, true},
		{"203.0.114.0", false, true},
		{"223.255.255.255", false, true}, // below multicast
		{"1.0.0.0", false, true},         // above 0.0.0.0/8
		{"2001:200::1", false, true},     // above 2001::/23
		{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false, true},
		{"2001:db9::", false, true},
		{"2003::1", false, true}, // above 2002::/16
		{"3ffe:ffff::1", false, true},
		{"3fff:1000::", false, true}, // above 3fff::/20
		// Inside: refused.
		{"0.1.2.3", true, false},
		{"10.0.0.1", false, false},
		{"10.0.0.1", true, true},
		{"100.64.0.1", false, false},
		{"100.127.255.255", true, true},
		{"127.0.0.1", false, false},
		{"127.255.255.254", true, true},
		{"169.254.169.254", true, false}, // cloud metadata
		{"172.31.255.255", false, false},
		{"192.0.0.9", true, false},
		{"192.0.0.170", true, false},
		{"192.0.2.2", true, false}, // documentation (this test machine's own address in issue 15)
		{"192.31.196.1", true, false},
		{"192.52.193.1", true, false},
		{"192.88.99.1", true, false},
		{"192.168.1.1", false, false},
		{"192.175.48.1", true, false},
		{"198.18.0.1", true, false}, // benchmarking: refused always
		{"198.19.255.255", true, false},
		{"198.51.100.7", true, false},
		{"203.0.113.1", true, false},
		{"224.0.0.1", true, false},
		{"239.255.255.255", true, false},
		{"240.0.0.1", true, false},
		{"255.255.255.255", true, false},
		{"::", true, false},
		{"::1", false, false},
		{"::1", true, true},
		{"::a00:1", true, false}, // IPv4-compatible
		{"::ffff:10.0.0.1", false, false},
		{"::ffff:10.0.0.1", true, true},
		{"::ffff:127.0.0.1", false, false},
		{"::ffff:169.254.169.254", true, false},
		{"::ffff:8.8.8.8", false, true},
		{"::ffff:0:10.0.0.1", false, false}, // IPv4-translated
		{"::ffff:0:8.8.8.8", false, true},
		{"64:ff9b::a00:1", false, false}, // NAT64 of 10.0.0.1
		{"64:ff9b::a9fe:a9fe", true, false},
		{"64:ff9b::808:808", false, true},    // NAT64 of 8.8.8.8
		{"64:ff9b:1::c000:202", true, false}, // local-use NAT64 of 192.0.2.2
		{"64:ff9b:1::808:808", false, true},  // local-use NAT64 of 8.8.8.8
		{"100::1", true, false},              // discard-only
		{"2001::1", true, false},             // Teredo
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true, false},
		{"2001:2::1", true, false},   // benchmarking
		{"2001:10::1", true, false},  // ORCHID, in 2001::/23
		{"2001:db8::1", true, false}, // documentation
		{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true, false},
		{"2002:a00:1::1", true, false},   // 6to4 of 10.0.0.1
		{"2002:808:808::1", true, false}, // 6to4, whatever it carries
		{"2620:4f:8000::1", true, false},
		{"3fff::1", true, false}, // documentation (RFC 9637)
		{"5f00::1", true, false},
		{"fc00::1", false, false},
		{"fd00::2", true, true},
		{"fe80::1", true, false},
		{"fe80::1%eth0", true, false},
		{"febf:ffff::1", true, false},
		{"fec0::1", true, false},
		{"ff02::1", true, false},
		{"4000::1", true, false}, // outside 2000::/3
		{"1fff:ffff::1", true, false},
	}
	for _, tt := range tests {
		err := egress.Check(netip.MustParseAddr(tt.ip), tt.allowPrivate)
		if (err == nil) != tt.ok {
			t.Errorf("Check(%s, allowPrivate=%v) = %v; want ok=%v", tt.ip, tt.allowPrivate, err, tt.ok)
		}
		if err != nil && !errors.Is(err, egress.ErrForbiddenAddress) {
			t.Errorf("Check(%s): %v is not ErrForbiddenAddress", tt.ip, err)
		}
	}
}

func TestPolicyRefusesOwnAddresses(t *testing.T) {
	own := []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("2606:4700::1111"),
		netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.1.2.3")}
	p := egress.Policy{AllowPrivate: true, Own: func() []netip.Addr { return own }}
	for _, tt := range []struct {
		ip string
		ok bool
	}{
		{"93.184.216.34", false},
		{"::ffff:93.184.216.34", false},
		{"2606:4700::1111", false},
		{"10.1.2.3", false}, // private, allowed, but this host's
		{"10.1.2.4", true},
		{"127.0.0.1", true}, // loopback follows AllowPrivate
		{"93.184.216.35", true},
	} {
		err := p.Check(netip.MustParseAddr(tt.ip))
		if (err == nil) != tt.ok {
			t.Errorf("Check(%s) = %v; want ok=%v", tt.ip, err, tt.ok)
		}
	}
	if err := (egress.Policy{Own: func() []netip.Addr { return own }}).Check(netip.MustParseAddr("127.0.0.1")); err == nil {
		t.Error("loopback allowed without AllowPrivate")
	}
	// The real interfaces: each non-loopback address is refused.
	for _, a := range egress.OwnAddrs() {
		if a.IsLoopback() {
			continue
		}
		if err := (egress.Policy{AllowPrivate: true}).Check(a); !errors.Is(err, egress.ErrForbiddenAddress) {
			t.Errorf("this host's address %s: %v; want refused", a, err)
		}
	}
}

func TestCheckHostResolves(t *testing.T) {
	dns := map[string][]netip.Addr{
		"public.test": {netip.MustParseAddr("93.184.216.34")},
		"mixed.test":  {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.1")},
		"meta.test":   {netip.MustParseAddr("169.254.169.254")},
	}
	p := egress.Policy{LookupHost: func(_ context.Context, host string) ([]netip.Addr, error) {
		return dns[host], nil
	}, Own: func() []netip.Addr { return nil }}
	if err := p.CheckHost(context.Background(), "public.test"); err != nil {
		t.Errorf("public.test: %v", err)
	}
	if err := p.CheckHost(context.Background(), "mixed.test"); !errors.Is(err, egress.ErrForbiddenAddress) {
		t.Errorf("mixed.test (one address private): %v; want refused", err)
	}
	p.AllowPrivate = true
	if err := p.CheckHost(context.Background(), "mixed.test"); err != nil {
		t.Errorf("mixed.test with AllowPrivate: %v", err)
	}
	if err := p.CheckHost(context.Background(), "meta.test"); !errors.Is(err, egress.ErrForbiddenAddress) ||
		!strings.Contains(err.Error(), "link-local") {
		t.Errorf("meta.test: %v; want refused as link-local", err)
	}
	if err := p.CheckHost(context.Background(), "192.0.2.1"); !errors.Is(err, egress.ErrForbiddenAddress) {
		t.Errorf("a literal documentation address: %v; want refused", err)
	}
}
