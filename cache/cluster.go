package cache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// configurePeers validates and applies the peer fields of cfg, and returns the initial list of
// nodes (normalized; Self not yet added). Nothing is registered anywhere yet.
func (c *Cache) configurePeers(cfg *Config) ([]string, error) {
	if cfg.BasePath == "" {
		cfg.BasePath = DefaultBasePath
	}
	if len(cfg.BasePath) < 2 || !strings.HasPrefix(cfg.BasePath, "/") || !strings.HasSuffix(cfg.BasePath, "/") {
		return nil, fmt.Errorf("cache: BasePath %q must begin and end with '/' and not be the root", cfg.BasePath)
	}
	for _, r := range cfg.BasePath {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_-.~", r)) {
			return nil, fmt.Errorf("cache: BasePath %q: use letters, digits and /_-.~ only", cfg.BasePath)
		}
	}
	switch {
	case cfg.PeerTimeout == 0:
		cfg.PeerTimeout = DefaultPeerTimeout
	case cfg.PeerTimeout < 4*time.Millisecond:
		return nil, fmt.Errorf("cache: PeerTimeout %v is too short", cfg.PeerTimeout)
	}
	switch {
	case cfg.PeerAuthWindow == 0:
		cfg.PeerAuthWindow = DefaultPeerAuthWindow
	case cfg.PeerAuthWindow < time.Second:
		return nil, fmt.Errorf("cache: PeerAuthWindow %v is shorter than a second", cfg.PeerAuthWindow)
	}
	switch {
	case cfg.HashReplicas == 0:
		cfg.HashReplicas = DefaultHashReplicas
	case cfg.HashReplicas < 0:
		return nil, fmt.Errorf("cache: negative HashReplicas %d", cfg.HashReplicas)
	}
	if cfg.PeerSecret != "" && len(cfg.PeerSecret) < MinPeerSecretLen {
		c.log.Warn("avatarkit: PeerSecret is short: whoever guesses it can use the peer endpoint as a node; use at least 16 random bytes",
			"bytes", len(cfg.PeerSecret), "recommended", MinPeerSecretLen)
	}
	c.basePath = cfg.BasePath
	c.peerTimeout = cfg.PeerTimeout
	c.authWindow = cfg.PeerAuthWindow
	c.replicas = cfg.HashReplicas
	if cfg.PeerSecret != "" {
		c.secret = []byte(cfg.PeerSecret)
	}
	var id [12]byte
	rand.Read(id[:])
	c.nodeID = hex.EncodeToString(id[:])

	if cfg.Self == "" {
		switch {
		case len(cfg.Peers) > 0:
			return nil, errors.New("cache: Peers given without Self: a node must know its own URL")
		case cfg.PeerDiscovery != nil:
			return nil, errors.New("cache: PeerDiscovery given without Self: a node must know its own URL")
		}
		return nil, nil
	}
	self, err := normalizePeerURL(cfg.Self)
	if err != nil {
		return nil, fmt.Errorf("cache: Self: %w", err)
	}
	c.self = self
	peers, err := normalizePeers(cfg.Peers)
	if err != nil {
		return nil, err
	}
	if len(peers) > 0 {
		found := false
		for _, p := range peers {
			found = found || p == self
		}
		if !found {
			c.log.Warn("avatarkit: Self is not among Peers: added; if the peers know this node by another URL, set Self to that one", "self", self, "peers", peers)
		}
	}
	if d := cfg.PeerDiscovery; d != nil {
		if err := d.check(); err != nil {
			return nil, err
		}
		scheme, host, port := splitBaseURL(self)
		if scheme != d.scheme() || port != strconv.Itoa(d.Port) || !isIP(host) {
			return nil, fmt.Errorf("cache: with PeerDiscovery, Self %q must be this node's IP address in a URL the way discovery forms them, %s://<ip>:%d", cfg.Self, d.scheme(), d.Port)
		}
		if c.secret == nil {
			return nil, errors.New("cache: PeerDiscovery needs a PeerSecret: peers must authenticate each other")
		}
	}
	if c.secret == nil && (len(peers) > 1 || len(peers) == 1 && peers[0] != self) {
		return nil, errors.New("cache: Peers names other nodes but PeerSecret is empty: peers must authenticate each other")
	}
	c.transport = &http.Transport{
		Proxy: nil, // peers talk directly
		DialContext: (&net.Dialer{
			Timeout:   cfg.PeerTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSHandshakeTimeout:   cfg.PeerTimeout,
		ResponseHeaderTimeout: cfg.PeerTimeout,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		TLSClientConfig:       cfg.PeerTLSConfig.Clone(),
	}
	return peers, nil
}
