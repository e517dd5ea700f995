package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"

	"github.com/ecrm/ecrm/internal/crm"
)

// ErrForbiddenAddress is returned when an endpoint resolves to an address
// webhooks may not call.
var ErrForbiddenAddress = errors.New("webhook: address not allowed")

// blockedPrefixes are networks no webhook may reach: they lead into the
// server's own host or network, or nowhere useful. Checking happens on
// the address the dialer is about to connect to, after DNS, so neither a
// hostname that resolves inward (localhost, a rebinding name) nor any
// spelling of an IPv4 address (2130706433, 0x7f000001, 017700000001,
// 127.1, ::ffff:127.0.0.1) gets past it: all of them arrive here as the
// same four bytes.
var blockedPrefixes = mustPrefixes(
	"0.0.0.0/8",       // "this network", 0.0.0.0 reaches the local host
	"10.0.0.0/8",      // RFC 1918
	"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata at 169.254.169.254
	"172.16.0.0/12",   // RFC 1918
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // RFC 1918
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2
	"203.0.113.0/24",  // TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
	"::/128",          // unspecified
	"::1/128",         // loopback
	"::/96",           // IPv4-compatible (deprecated)
	"::ffff:0:0:0/96", // IPv4-translated (RFC 2765), another way to carry IPv4
	"64:ff9b::/96",    // NAT64: reaches IPv4 through a translator
	"64:ff9b:1::/48",  // local-use NAT64
	"100::/64",        // discard-only
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4: embeds an IPv4 address
	"fc00::/7",        // unique local (ULA)
	"fe80::/10",       // link-local
	"fec0::/10",       // site-local (deprecated)
	"ff00::/8",        // multicast
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Allowed reports whether a webhook may connect to ip. IPv4-mapped IPv6
// addresses (::ffff:a.b.c.d) are judged as the IPv4 address they carry.
func Allowed(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// control is the net.Dialer Control function of the guarded client: it
// runs for every connection attempt with the resolved address, just
// before connect(2), and refuses forbidden ones.
func control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !Allowed(ip) {
		return fmt.Errorf("%w: %s is an internal address", ErrForbiddenAddress, host)
	}
	return nil
}

// guardedDial refuses, before any DNS lookup, hosts that are neither an
// IP address nor a DNS name: the other spellings of IPv4 (2130706433,
// 0x7f000001, 017700000001, 127.1). Some resolvers read them as
// addresses and some send them to DNS; refusing them outright makes the
// outcome the same everywhere, and control still checks whatever a
// real name resolves to.
func guardedDial(d *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if _, err := netip.ParseAddr(host); err != nil && !crm.ValidWebhookHost(host) {
			return nil, fmt.Errorf("%w: %q is not a host name", ErrForbiddenAddress, host)
		}
		return d.DialContext(ctx, network, address)
	}
}

// Resolve returns an address of host that Allowed accepts, for outbound
// connections that cannot go through NewClient's dialer (the SMTP
// client, whose implicit TLS needs its own dialer): every address the
// name has must be allowed, and the caller connects to the one returned,
// so a name that resolves elsewhere a moment later (rebinding) does not
// matter. IPv6 addresses come in brackets, ready for "host:port".
func Resolve(ctx context.Context, host string) (string, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !Allowed(ip) {
			return "", fmt.Errorf("%w: %s is an internal address", ErrForbiddenAddress, host)
		}
		return bracket(ip), nil
	}
	if !crm.ValidWebhookHost(host) {
		return "", fmt.Errorf("%w: %q is not a host name", ErrForbiddenAddress, host)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return "", err
	}
	var pick netip.Addr
	for _, ip := range ips {
		if !Allowed(ip) {
			return "", fmt.Errorf("%w: %s resolves to an internal address", ErrForbiddenAddress, host)
		}
		if !pick.IsValid() || (ip.Unmap().Is4() && !pick.Unmap().Is4()) {
			pick = ip // IPv4 first: the route most hosts have
		}
	}
	if !pick.IsValid() {
		return "", fmt.Errorf("%s has no address", host)
	}
	return bracket(pick), nil
}

func bracket(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() {
		return "[" + ip.String() + "]"
	}
	return ip.String()
}
