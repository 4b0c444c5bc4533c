package extplanner

import (
	"fmt"
	"net/url"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// EmbeddedEtcd is an etcd server in this process (go.etcd.io/etcd/server/v3/
// embed), for a case whose matrix names no etcd, and for tests.
type EmbeddedEtcd struct {
	e *embed.Etcd
	// Endpoint is its client URL.
	Endpoint string
}

// StartEtcd starts a single-member etcd with its data in dir, listening
// for clients on a free loopback port.
func StartEtcd(dir string) (*EmbeddedEtcd, error) {
	cfg := embed.NewConfig()
	cfg.Dir = dir
	cfg.LogLevel = "fatal" // its shutdown logs "errors" about closed listeners; start failures are returned
	client, _ := url.Parse("http://127.0.0.1:0")
	peer, _ := url.Parse("http://127.0.0.1:0")
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, fmt.Errorf("etcd in %s not ready after 30 s", dir)
	}
	return &EmbeddedEtcd{e: e, Endpoint: e.Clients[0].Addr().String()}, nil
}

// URL is the client URL, http://host:port.
func (s *EmbeddedEtcd) URL() string { return "http://" + s.Endpoint }

// Close stops the server.
func (s *EmbeddedEtcd) Close() { s.e.Close() }
