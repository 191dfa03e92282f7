package cache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"
)

// DefaultDiscoveryInterval is the default of DNSDiscovery.Interval.
const DefaultDiscoveryInterval = 5 * time.Second

// DNSDiscovery finds the nodes of a cluster by resolving a DNS name to the addresses of all of
// them, the way a Kubernetes headless service lists the IP addresses of its ready pods. Every
// Interval it resolves Name and sets the peers to "<Scheme>://<address>:<Port>" for every address;
// a failed resolution keeps the current list. The nodes of Config.Peers, when given, stay in the
// list besides the ones found. Config.Self must be this node's own address in that form
// ("http://$POD_IP:8080", the pod IP from the downward API), so that the node recognizes itself
// in the list.
//
// For any other registry (Consul, the Kubernetes API, …) call (*Cache).SetPeers yourself.
type DNSDiscovery struct {
	// Name is the DNS name to resolve, e.g. "avatarkit.default.svc.cluster.local". Required.
	Name string
	// Port is the port the nodes listen on. Required.
	Port int
	// Scheme is "http" or "https". Default "http".
	Scheme string
	// Interval is the time between two resolutions. Default 5 s; at least 100 ms.
	Interval time.Duration
	// LookupHost resolves a name to addresses. Default net.DefaultResolver.LookupHost; tests
	// replace it.
	LookupHost func(ctx context.Context, host string) ([]string, error)
}

func (d *DNSDiscovery) scheme() string {
	if d.Scheme == "" {
		return "http"
	}
	return d.Scheme
}

func (d *DNSDiscovery) interval() time.Duration {
	if d.Interval == 0 {
		return DefaultDiscoveryInterval
	}
	return d.Interval
}

func (d *DNSDiscovery) check() error {
	switch {
	case d.Name == "":
		return errors.New("cache: PeerDiscovery.Name is empty: name the DNS name that lists the nodes")
	case d.Port <= 0 || d.Port > 65535:
		return fmt.Errorf("cache: PeerDiscovery.Port %d is not a port", d.Port)
	case d.scheme() != "http" && d.scheme() != "https":
		return fmt.Errorf("cache: PeerDiscovery.Scheme %q: want http or https", d.Scheme)
	case d.Interval < 0 || d.Interval > 0 && d.Interval < 100*time.Millisecond:
		return fmt.Errorf("cache: PeerDiscovery.Interval %v: want at least 100ms", d.Interval)
	}
	return nil
}

// urls turns resolved addresses into base URLs.
func (d *DNSDiscovery) urls(addrs []string) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, d.scheme()+"://"+net.JoinHostPort(a, strconv.Itoa(d.Port)))
	}
	return out
}

// discover resolves d until Close. The nodes are static (Config.Peers) and what d finds.
func (c *Cache) discover(d DNSDiscovery, static []string) {
	defer close(c.discoveryDone)
	lookup := d.LookupHost
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	every := d.interval()
	t := time.NewTicker(every)
	defer t.Stop()
	var lastErr string
	for {
		ctx, cancel := context.WithTimeout(c.closeCtx, every)
		addrs, err := lookup(ctx, d.Name)
		cancel()
		if c.closeCtx.Err() != nil {
			return
		}
		if err == nil {
			err = c.SetPeers(append(slices.Clone(static), d.urls(addrs)...)...)
		}
		switch {
		case err != nil && err.Error() != lastErr:
			c.log.Warn("avatarkit: peer discovery failed; keeping the current nodes", "name", d.Name, "err", err, "nodes", c.Peers())
			lastErr = err.Error()
		case err != nil:
			c.log.Debug("avatarkit: peer discovery failed again", "name", d.Name, "err", err)
		case lastErr != "":
			c.log.Info("avatarkit: peer discovery works again", "name", d.Name, "nodes", c.Peers())
			lastErr = ""
		}
		select {
		case <-c.closeCtx.Done():
			return
		case <-t.C:
		}
	}
}
