package webhook_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acme/directory/egress"
	"github.com/acme/directory/webhook"
)

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		ip           string
		allowPrivate bool
		ok           bool
	}{
		{"93.184.216.34", false, true},
		{"2606:4700::1111", false, true},
		{"127.0.0.1", false, false},
		{"127.0.0.1", true, true},
		{"::1", false, false},
		{"10.0.0.1", false, false},
		{"10.0.0.1", true, true},
		{"172.16.5.4", false, false},
		{"192.168.1.1", false, false},
		{"100.64.0.1", false, false},
		{"fd00::1", false, false},
		{"::ffff:10.0.0.1", false, false},
		{"::ffff:127.0.0.1", false, false},
		{"64:ff9b::a00:1", false, false}, // NAT64 of 10.0.0.1
		{"169.254.169.254", false, false},
		{"169.254.169.254", true, false},
		{"::ffff:169.254.169.254", true, false},
		{"fe80::1", true, false},
		{"0.0.0.0", true, false},
		{"::", true, false},
		{"224.0.0.1", true, false},
		{"ff02::1", true, false},
		{"255.255.255.255", true, false},
		// Issue 15: documentation, reserved and benchmarking ranges are
		// refused whatever the setting (the full table: package egress).
		{"192.0.2.2", true, false},
		{"198.51.100.1", true, false},
		{"203.0.113.9", true, false},
		{"240.0.0.1", true, false},
		{"198.18.0.1", true, false},
		{"2001:db8::1", true, false},
		{"64:ff9b::c000:202", true, false},
	}
	for _, tt := range tests {
		err := webhook.CheckAddr(netip.MustParseAddr(tt.ip), tt.allowPrivate)
		if (err == nil) != tt.ok {
			t.Errorf("CheckAddr(%s, allowPrivate=%v) = %v; want ok=%v", tt.ip, tt.allowPrivate, err, tt.ok)
		}
		if err != nil && !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Errorf("CheckAddr(%s): %v is not ErrForbiddenAddress", tt.ip, err)
		}
	}
}

// fakeDNS is a resolver whose every query goes to a DNS server on
// 127.0.0.1 that answers names with the given addresses (and nothing
// else), as a hostile DNS could.
func fakeDNS(t *testing.T, answers map[string]netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := dnsAnswer(buf[:n], answers); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// dnsAnswer answers a one-question DNS query (RFC 1035 §4.1) with an A or
// AAAA record from answers, or with no record.
func dnsAnswer(q []byte, answers map[string]netip.Addr) []byte {
	if len(q) < 12 {
		return nil
	}
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	i++
	if i+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i:])
	resp := append([]byte(nil), q[:i+4]...)
	resp[2], resp[3] = 0x81, 0x80 // a response, recursion desired and available, no error
	binary.BigEndian.PutUint16(resp[4:], 1)
	binary.BigEndian.PutUint16(resp[6:], 0)
	binary.BigEndian.PutUint32(resp[8:], 0) // no authority, no additional records
	ip, ok := answers[strings.ToLower(strings.Join(labels, "."))]
	if ok && (qtype == 1 && ip.Is4() || qtype == 28 && ip.Is6()) {
		binary.BigEndian.PutUint16(resp[6:], 1)
		raw := ip.AsSlice()
		resp = append(resp, 0xc0, 0x0c, 0, byte(qtype), 0, 1, 0, 0, 0, 60, 0, byte(len(raw)))
		resp = append(resp, raw...)
	}
	return resp
}

func TestDialerRefusesAtConnectTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	dns := fakeDNS(t, map[string]netip.Addr{
		"internal.test": netip.MustParseAddr("10.0.0.1"),
		"metadata.test": netip.MustParseAddr("169.254.169.254"),
		"loopback.test": netip.MustParseAddr("127.0.0.1"),
	})
	// The resolver works: it resolves the names to those addresses.
	if addrs, err := dns.LookupHost(context.Background(), "internal.test"); err != nil || len(addrs) != 1 || addrs[0] != "10.0.0.1" {
		t.Fatalf("fake DNS: %v, %v", addrs, err)
	}
	tests := []struct {
		url          string
		allowPrivate bool
		refused      bool
	}{
		{srv.URL, false, true},
		{srv.URL, true, false},
		{"http://loopback.test:" + port, false, true},
		{"http://loopback.test:" + port, true, false},
		{"http://internal.test:" + port, false, true},
		{"http://metadata.test/latest/meta-data/", false, true},
		{"http://metadata.test/latest/meta-data/", true, true},
		{"http://169.254.169.254/latest/meta-data/", true, true},
		{"http://10.0.0.1:" + port, false, true},
	}
	for _, tt := range tests {
		c := webhook.HTTPClient(2*time.Second, tt.allowPrivate, dns)
		start := time.Now()
		res, err := c.Post(tt.url, "application/json", strings.NewReader("{}"))
		if res != nil {
			res.Body.Close()
		}
		switch {
		case tt.refused && !errors.Is(err, webhook.ErrForbiddenAddress):
			t.Errorf("POST %s (allowPrivate=%v): %v; want ErrForbiddenAddress", tt.url, tt.allowPrivate, err)
		case tt.refused && time.Since(start) > time.Second:
			t.Errorf("POST %s: refused after %s; want before any connection attempt", tt.url, time.Since(start))
		case !tt.refused && err != nil:
			t.Errorf("POST %s (allowPrivate=%v): %v; want it through", tt.url, tt.allowPrivate, err)
		}
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			hit = true
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	res, err := webhook.HTTPClient(2*time.Second, true, nil).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTemporaryRedirect || hit {
		t.Fatalf("status %d, redirect followed: %v; want 307 and not followed", res.StatusCode, hit)
	}
}

func TestClientTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); srv.Close() })
	start := time.Now()
	_, err := webhook.HTTPClient(200*time.Millisecond, true, nil).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %s; want a timeout after about 200ms", err, time.Since(start))
	}
}

// TestHostOwnAddressIsRefusedWithoutSending: a delivery to one of this
// host's own interface addresses (here 192.0.2.2 and fd00::2, the
// addresses of issue 15) is refused by the dialer's Control, before the
// connect: a listener on the address sees no connection, even with
// private addresses allowed.
func TestHostOwnAddressIsRefusedWithoutSending(t *testing.T) {
	var tried int
	for _, a := range egress.OwnAddrs() {
		if a.IsLoopback() || a.IsLinkLocalUnicast() {
			continue
		}
		ln, err := net.Listen("tcp", netip.AddrPortFrom(a, 0).String())
		if err != nil {
			t.Logf("listen on %s: %v", a, err)
			continue
		}
		var accepted atomic.Int32
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				c.Close()
			}
		}()
		tried++
		u := "http://" + ln.Addr().String() + "/hooks"
		res, err := webhook.HTTPClient(2*time.Second, true, nil).Post(u, "application/json", strings.NewReader("{}"))
		if res != nil {
			res.Body.Close()
		}
		if !errors.Is(err, webhook.ErrForbiddenAddress) || !strings.Contains(err.Error(), a.String()) {
			t.Errorf("POST %s: %v; want ErrForbiddenAddress naming %s", u, err, a)
		}
		// A plain dial shows the listener works: the refusal was the
		// policy's, and nothing reached it before.
		if accepted.Load() != 0 {
			t.Errorf("%s: the listener accepted %d connections; want none", a, accepted.Load())
		}
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("plain dial %s: %v", ln.Addr(), err)
		}
		c.Close()
		for i := 0; accepted.Load() == 0 && i < 200; i++ {
			time.Sleep(5 * time.Millisecond)
		}
		if accepted.Load() != 1 {
			t.Errorf("%s: the plain dial was not accepted: the test proves nothing", a)
		}
		ln.Close()
	}
	if tried == 0 {
		t.Skip("this host has no non-loopback address to listen on")
	}
}

// TestClientDoesNotReachARedirectTarget: a receiver answering with a
// redirect to a forbidden address gets its 3xx recorded; no hop is made.
func TestClientDoesNotReachARedirectTarget(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	res, err := webhook.HTTPClient(2*time.Second, true, nil).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status %d; want the 302 itself", res.StatusCode)
	}
}
