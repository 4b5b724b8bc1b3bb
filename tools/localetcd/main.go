// Command localetcd runs a three-member etcd cluster on this machine's
// loopback, for trying frontdoor past one machine (README: "Several
// front ends"). It is the real etcd server (go.etcd.io/etcd/server/v3,
// embedded), not a stand-in; production uses an operator's cluster.
//
//	go run ./tools/localetcd [--dir DIR] [--port 2379]
//
// Members listen for clients on PORT, PORT+10000 and PORT+20000 (peers
// one above each), keep their data in DIR/m0 … DIR/m2, and stop on
// ctrl+c. The line it prints is the --store to give frontdoor.
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/api/v3/version"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

func main() {
	dir := flag.String("dir", "etcd-data", "where the members keep their data")
	port := flag.Int("port", 2379, "the first member's client port")
	flag.Parse()
	var initial, clients []string
	type member struct {
		name         string
		client, peer url.URL
	}
	var members []member
	for i := range 3 {
		m := member{name: fmt.Sprintf("m%d", i),
			client: url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", *port+10000*i)},
			peer:   url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", *port+10000*i+1)}}
		members = append(members, m)
		initial = append(initial, m.name+"="+m.peer.String())
		clients = append(clients, m.client.Host)
	}
	var running []*embed.Etcd
	stop := func() {
		for _, e := range running {
			e.Close()
		}
	}
	for _, m := range members {
		cfg := embed.NewConfig()
		cfg.Name, cfg.Dir = m.name, filepath.Join(*dir, m.name)
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{m.peer}, []url.URL{m.peer}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{m.client}, []url.URL{m.client}
		cfg.InitialCluster, cfg.InitialClusterToken = strings.Join(initial, ","), "frontdoor-local"
		if _, err := os.Stat(filepath.Join(cfg.Dir, "member")); err == nil {
			cfg.ClusterState = embed.ClusterStateFlagExisting
		}
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			stop()
			fmt.Fprintf(os.Stderr, "localetcd: member %s: %v\n", m.name, err)
			os.Exit(1)
		}
		running = append(running, e)
	}
	for _, e := range running {
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(time.Minute):
			stop()
			fmt.Fprintln(os.Stderr, "localetcd: the cluster did not start within a minute")
			os.Exit(1)
		}
	}
	fmt.Printf("etcd %s: three members on loopback, data in %s; ctrl+c stops them\n", version.Version, *dir)
	fmt.Printf("--store etcd://%s\n", strings.Join(clients, ","))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	stop()
}
