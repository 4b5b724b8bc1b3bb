package etcd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"frontdoor/store/backend"

	"frontdoor/internal/smallfile"
)

// Config says how to reach a store on a cluster.
type Config struct {
	Endpoints []string // host:port of each member
	Prefix    string   // where the store's keys begin, ending in /
	// TLS: the cluster's CA, and this client's certificate and key
	// (mutual TLS); all empty: plain connections (loopback, trying).
	CACert, Cert, Key  string
	Username, Password string
	Timeout            time.Duration // each request; 0: 5 s
}

// DefaultPrefix is the store's prefix when the URL names none.
const DefaultPrefix = "/frontdoor/"

// ParseURL reads etcd://[USER:PASS@]H1:2379,H2:2379/PREFIX?cacert=F&cert=F&key=F&timeout=5s.
func ParseURL(s string) (Config, error) {
	var c Config
	rest, ok := strings.CutPrefix(s, "etcd://")
	if !ok {
		return c, fmt.Errorf("store %q: want etcd://HOST:PORT[,HOST:PORT…][/PREFIX]", s)
	}
	// url.Parse takes one host; the members are split by hand
	rest, query, _ := strings.Cut(rest, "?")
	hosts, pathAndQuery, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(hosts, '@'); at >= 0 {
		user, pass, _ := strings.Cut(hosts[:at], ":")
		var err error
		if c.Username, err = url.PathUnescape(user); err == nil {
			c.Password, err = url.PathUnescape(pass)
		}
		if err != nil {
			return c, fmt.Errorf("store %s: user: %w", Redact(s), err)
		}
		hosts = hosts[at+1:]
	}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if _, port, ok := strings.Cut(h, ":"); !ok || port == "" {
			h = strings.TrimSuffix(h, ":") + ":2379"
		}
		// a member is HOST:PORT, the port a number ([v6]:PORT too):
		// "127.0.0.1:42100:99" waited out the dial timeout (round 3)
		host, port, err := net.SplitHostPort(h)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("store %s: member %q: want HOST:PORT", Redact(s), h)
		}
		c.Endpoints = append(c.Endpoints, h)
	}
	if len(c.Endpoints) == 0 {
		return c, fmt.Errorf("store %s: no members named: want etcd://HOST:PORT[,HOST:PORT…]", Redact(s))
	}
	c.Prefix = DefaultPrefix
	if p := strings.Trim(pathAndQuery, "/"); p != "" {
		c.Prefix = "/" + p + "/"
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return c, fmt.Errorf("store %s: %w", Redact(s), err)
	}
	for k := range q {
		switch k {
		case "cacert", "cert", "key", "timeout":
		default:
			return c, fmt.Errorf("store %s: unknown option %q (cacert, cert, key, timeout)", Redact(s), k)
		}
	}
	c.CACert, c.Cert, c.Key = q.Get("cacert"), q.Get("cert"), q.Get("key")
	if t := q.Get("timeout"); t != "" {
		if c.Timeout, err = time.ParseDuration(t); err != nil || c.Timeout <= 0 {
			return c, fmt.Errorf("store %s: timeout %q: want a duration such as 5s", Redact(s), t)
		}
	}
	return c, nil
}

// Redact is a store URL without its password, for messages and logs.
func Redact(s string) string {
	rest, ok := strings.CutPrefix(s, "etcd://")
	if !ok {
		return s
	}
	hosts, tail, slash := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(hosts, '@'); at >= 0 {
		user, _, _ := strings.Cut(hosts[:at], ":")
		hosts = user + ":REDACTED@" + hosts[at+1:]
	}
	if slash {
		hosts += "/" + tail
	}
	return "etcd://" + hosts
}

// String names the store: its members and prefix, never a secret.
func (c Config) String() string {
	return "etcd://" + strings.Join(c.Endpoints, ",") + c.Prefix
}

// MinVersion is the oldest etcd frontdoor runs on (watch progress
// requests and range compares are older; 3.5 is the oldest still kept).
const MinVersion = "3.5"

// Dial connects to the cluster, checks that a member answers and runs
// a version frontdoor supports, and returns the store under the prefix.
func Dial(c Config) (*KV, error) {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	cfg := clientv3.Config{Endpoints: c.Endpoints, DialTimeout: c.Timeout, Username: c.Username, Password: c.Password,
		Logger: zap.NewNop(), AutoSyncInterval: time.Minute,
		// a member gone silently (a partition, no reset) is found by
		// keepalive, not by the next request's timeout
		DialKeepAliveTime: 10 * time.Second, DialKeepAliveTimeout: 5 * time.Second,
		// reconnecting after an outage waits at most 2 s between tries:
		// gRPC's default backoff grows to 120 s, and front ends stayed
		// STORE DOWN 7-11 s after the cluster was back (newcomer
		// walkthrough), longer the longer the outage
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
			MinConnectTimeout: c.Timeout,
		})}}
	if c.CACert != "" || c.Cert != "" || c.Key != "" {
		t, err := tlsConfig(c)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", c, err)
		}
		cfg.TLS = t
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", c, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	var tried []string
	for _, ep := range c.Endpoints {
		st, err := cli.Status(ctx, ep)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v%s", ep, err, whyNot(ep, cfg.TLS)))
			continue
		}
		if !versionAtLeast(st.Version, MinVersion) {
			cli.Close()
			return nil, fmt.Errorf("store %s: member %s runs etcd %s; frontdoor needs etcd %s or later", c, ep, st.Version, MinVersion)
		}
		if err := notInsideAnother(ctx, cli, c.Prefix); err != nil {
			cli.Close()
			return nil, fmt.Errorf("store %s: %w", c, err)
		}
		return New(cli, c.Prefix, c.String(), c.Timeout), nil
	}
	cli.Close()
	return nil, fmt.Errorf("store %s: %w: no member answered within %s (%s): is the cluster up, and are the addresses in --store right?",
		c, backend.ErrUnavailable, c.Timeout, strings.Join(tried, "; "))
}

// maxPEM is the most a certificate or key file given for the cluster
// may hold (a chain of a few certificates); read only if a regular file.
const maxPEM = 1 << 20

func tlsConfig(c Config) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CACert != "" {
		pem, err := smallfile.Read(c.CACert, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("CA certificate: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA certificate %s: no PEM certificate in it", c.CACert)
		}
	}
	if (c.Cert == "") != (c.Key == "") {
		return nil, errors.New("a client certificate needs its key, and a key its certificate (--store-cert and --store-key)")
	}
	if c.Cert != "" {
		cert, err := smallfile.Read(c.Cert, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		key, err := smallfile.Read(c.Key, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("client key: %w", err)
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, nil
}

// versionAtLeast compares dotted versions by their first two numbers.
func versionAtLeast(have, want string) bool {
	num := func(v string, i int) int {
		parts := strings.Split(v, ".")
		if i >= len(parts) {
			return 0
		}
		n, _ := strconv.Atoi(parts[i])
		return n
	}
	for i := range 2 {
		if num(have, i) != num(want, i) {
			return num(have, i) > num(want, i)
		}
	}
	return true
}

// notInsideAnother refuses a prefix inside another store's: that
// store's import copies everything under its own prefix into its next
// generation and deletes what it leaves, so the inner store was copied
// as the outer one's keys and then wiped (etcd review, round 3). A
// store is known by its generation key (PREFIX + "gen").
func notInsideAnother(ctx context.Context, cli *clientv3.Client, prefix string) error {
	for i := 0; i < len(prefix)-1; i++ {
		if prefix[i] != '/' {
			continue
		}
		outer := prefix[:i+1]
		resp, err := cli.Get(ctx, outer+"gen", clientv3.WithCountOnly())
		if err != nil {
			return err
		}
		if resp.Count > 0 {
			return fmt.Errorf("its prefix %s lies inside the store at %s (an import there would copy this store as its own keys, then delete it): choose a prefix beside it, not under it", prefix, outer)
		}
	}
	return nil
}

// whyNot looks, once a member did not answer, for a cause gRPC words only
// as "context deadline exceeded" (etcd review, round 3): a host name
// that does not resolve, nothing listening, or a TLS handshake that
// fails (a plaintext member, another CA).
func whyNot(ep string, t *tls.Config) string {
	host, _, err := net.SplitHostPort(ep)
	if err != nil {
		return ""
	}
	if net.ParseIP(host) == nil {
		if _, err := net.LookupHost(host); err != nil {
			return " (the host name does not resolve: " + err.Error() + ")"
		}
	}
	d := &net.Dialer{Timeout: 2 * time.Second}
	if t == nil {
		c, err := d.Dial("tcp", ep)
		if err != nil {
			return " (" + err.Error() + ")"
		}
		c.Close()
		return ""
	}
	c, err := tls.DialWithDialer(d, "tcp", ep, t.Clone())
	if err != nil {
		return " (TLS: " + err.Error() + ")"
	}
	c.Close()
	return ""
}
