package etcd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/etcdtest"
	"frontdoor/store/backend"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
		cfg           Config
	}{
		{in: "etcd://h1:2379,h2:2379,h3:2379", want: "etcd://h1:2379,h2:2379,h3:2379/frontdoor/"},
		{in: "etcd://h1,h2/team-a", want: "etcd://h1:2379,h2:2379/team-a/"},
		{in: "etcd://h1:2379/a/b/?cacert=/ca.pem&cert=/c.pem&key=/k.pem&timeout=2s", want: "etcd://h1:2379/a/b/",
			cfg: Config{CACert: "/ca.pem", Cert: "/c.pem", Key: "/k.pem", Timeout: 2 * time.Second}},
		{in: "etcd://h1:2379?cacert=/ca.pem", want: "etcd://h1:2379/frontdoor/", cfg: Config{CACert: "/ca.pem"}},
		{in: "etcd://ops:s3cret@h1:2379", want: "etcd://h1:2379/frontdoor/", cfg: Config{Username: "ops", Password: "s3cret"}},
		{in: "http://h1:2379", err: "want etcd://"},
		{in: "etcd://", err: "no members"},
		{in: "etcd://127.0.0.1:42100:99", err: `member "127.0.0.1:42100:99": want HOST:PORT`},
		{in: "etcd://h1:http", err: "want HOST:PORT"},
		{in: "etcd://h1:70000", err: "want HOST:PORT"},
		{in: "etcd://[::1]:2379,h2:", want: "etcd://[::1]:2379,h2:2379/frontdoor/"},
		{in: "etcd://h1?tls=1", err: `unknown option "tls"`},
		{in: "etcd://ops:s3cret@h1?timeout=soon", err: "REDACTED"},
	} {
		cfg, err := ParseURL(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: error %v, want one saying %q (and no password)", c.in, err, c.err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.in, err)
		case cfg.String() != c.want || cfg.CACert != c.cfg.CACert || cfg.Cert != c.cfg.Cert || cfg.Key != c.cfg.Key ||
			cfg.Timeout != c.cfg.Timeout || cfg.Username != c.cfg.Username || cfg.Password != c.cfg.Password:
			t.Errorf("%s: %+v (%s), want %s %+v", c.in, cfg, cfg, c.want, c.cfg)
		}
	}
	if r := Redact("etcd://ops:s3cret@h1:2379/p"); r != "etcd://ops:REDACTED@h1:2379/p" {
		t.Errorf("Redact: %s", r)
	}
}

// An unreachable cluster is a clear error naming the store and what to
// check, within the timeout, never a hang; a reachable one dials.
func TestDialSaysWhatIsWrong(t *testing.T) {
	_, err := Dial(Config{Endpoints: []string{"127.0.0.1:1"}, Prefix: "/x/", Timeout: 500 * time.Millisecond})
	if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "etcd://127.0.0.1:1/x/") ||
		!strings.Contains(err.Error(), "--store") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("unreachable: %v", err)
	}
	// gRPC says only "context deadline exceeded": the cause is looked for
	_, err = Dial(Config{Endpoints: []string{"nosuchhost.invalid:2379"}, Prefix: "/x/", Timeout: 500 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "the host name does not resolve") {
		t.Fatalf("a host that does not resolve: %v", err)
	}
	_, err = Dial(Config{Endpoints: []string{"127.0.0.1:2379"}, Prefix: "/x/", Cert: "/c.pem"})
	if err == nil || !strings.Contains(err.Error(), "needs its key") {
		t.Fatalf("a certificate without its key: %v", err)
	}
	c := etcdtest.Start(t, 1)
	kv, err := Dial(Config{Endpoints: c.Endpoints(), Prefix: "/x/"})
	if err != nil {
		t.Fatal(err)
	}
	kv.Close()
	if !versionAtLeast("3.7.4", MinVersion) || versionAtLeast("3.4.27", MinVersion) || !versionAtLeast("4.0.0", MinVersion) {
		t.Fatal("versionAtLeast")
	}
}

// A member whose certificate the CA given does not sign: the error says
// the TLS handshake failed and why, not only gRPC's "context deadline
// exceeded".
func TestDialSaysTheTLSHandshakeFailed(t *testing.T) {
	member := httptest.NewUnstartedServer(http.NotFoundHandler()) // a certificate of its own
	member.Config.ErrorLog = log.New(io.Discard, "", 0)
	member.StartTLS()
	defer member.Close()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	ep := strings.TrimPrefix(member.URL, "https://")
	_, err = Dial(Config{Endpoints: []string{ep}, Prefix: "/x/", CACert: ca, Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "(TLS: ") || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a member whose certificate the CA does not sign: %v", err)
	}
	t.Log(err)
}

// A store's prefix may not lie inside another store's, and an import
// does not write where another store lives: the outer store's import
// copied the inner one as its own keys and then deleted it (etcd review,
// round 3: /frontdoor/g1 under /frontdoor/).
func TestAStoreInsideAnotherIsRefused(t *testing.T) {
	c := etcdtest.Start(t, 1)
	outer, err := Dial(Config{Endpoints: c.Endpoints(), Prefix: "/outer/"})
	if err != nil {
		t.Fatal(err)
	}
	defer outer.Close()
	load := func(bt backend.BulkTx) error { return bt.Put("a", []byte("k"), []byte("v")) }
	if err := outer.Rebuild(0, load); err != nil { // the outer store exists: /outer/gen
		t.Fatal(err)
	}
	if _, err := Dial(Config{Endpoints: c.Endpoints(), Prefix: "/outer/g1/"}); err == nil || !strings.Contains(err.Error(), "lies inside the store at /outer/") {
		t.Fatalf("a prefix inside another store's: %v", err)
	}
	// one made there before the outer store was (or by hand) is not
	// deleted by the outer store's next import
	cli := connect(t, c)
	defer cli.Close()
	if _, err := cli.Put(context.Background(), "/outer/g2/gen", "1"); err != nil {
		t.Fatal(err)
	}
	if err := outer.Rebuild(0, load); err == nil || !strings.Contains(err.Error(), "another store lives at /outer/g2/") {
		t.Fatalf("an import over another store: %v", err)
	}
	if resp, _ := cli.Get(context.Background(), "/outer/g2/gen"); len(resp.Kvs) != 1 {
		t.Fatal("the inner store was deleted")
	}
}
