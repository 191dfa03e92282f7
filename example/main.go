// Command example is an ordinary Go web app with routes of its own and avatarkit mounted under
// /avatars/. With -demo it starts a fake social network in-process and runs offline:
//
//	go run ./example -demo
//
// then open http://127.0.0.1:8080/.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/avatarkit/avatarkit/avatarmw"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], env{stderr: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	addr          string
	demo          bool
	facebookURL   string
	facebookToken string
	xURL          string
	xToken        string
	gravatarURL   string
	cacheMB       int64
	refresh       time.Duration
	secret        string
	restricted    []string // nil: every type when secret is set
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.BoolVar(&o.demo, "demo", false, "start the built-in fake social network in-process and point every provider at it: runs offline, no credentials")
	fs.StringVar(&o.facebookURL, "facebook-url", "https://graph.facebook.com/v19.0", "Graph API base, version included")
	fs.StringVar(&o.facebookToken, "facebook-token", os.Getenv("FACEBOOK_ACCESS_TOKEN"), "Graph API access token (default $FACEBOOK_ACCESS_TOKEN)")
	fs.StringVar(&o.xURL, "x-url", "https://api.x.com", "X API base")
	fs.StringVar(&o.xToken, "x-token", os.Getenv("X_BEARER_TOKEN"), "X API bearer token (default $X_BEARER_TOKEN)")
	fs.StringVar(&o.gravatarURL, "gravatar-url", "https://www.gravatar.com", "Gravatar base")
	fs.Int64Var(&o.cacheMB, "cache-mb", 64, "cache size of this node, in MiB")
	fs.DurationVar(&o.refresh, "refresh", 168*time.Hour, "refresh period: how often an avatar is checked again at its network")
	fs.StringVar(&o.secret, "secret", os.Getenv("AVATAR_SECRET"), "URL signing secret, at least 16 bytes (default $AVATAR_SECRET)")
	restricted := fs.String("restricted", "", "comma-separated types that need signed URLs, or \"none\" (default: every type when -secret is set)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch *restricted {
	case "":
	case "none":
		o.restricted = []string{}
	default:
		if o.secret == "" {
			return o, errors.New("-restricted needs -secret to sign URLs with")
		}
		o.restricted = strings.Split(*restricted, ",")
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.cacheMB <= 0 {
		return o, fmt.Errorf("-cache-mb %d: want a positive number of MiB", o.cacheMB)
	}
	return o, nil
}

// env is what run gets from its caller besides the command line.
type env struct {
	stderr io.Writer     // logs and flag errors
	ready  chan<- string // when not nil, receives the listening address
	name   string        // the handler's Name (avatarmw.Config.Name); tests give each run its own
}

// run runs the app until ctx is done.
func run(ctx context.Context, args []string, e env) error {
	stderr, ready := e.stderr, e.ready
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	fc := fetch.Config{
		FacebookURL:   o.facebookURL,
		FacebookToken: o.facebookToken,
		XURL:          o.xURL,
		XToken:        o.xToken,
		GravatarURL:   o.gravatarURL,
	}
	gallery := realGallery
	if o.demo {
		fake := fetchtest.NewServer()
		defer fake.Close()
		fc.FacebookURL, fc.FacebookToken = fake.FacebookURL(), fetchtest.FacebookToken
		fc.XURL, fc.XToken = fake.XURL(), fetchtest.XToken
		fc.GravatarURL = fake.GravatarURL()
		gallery = demoGallery()
		log.Info("demo mode: every provider points at the built-in fake social network", "fake", fake.URL)
	}

	cfg := avatarmw.Config{
		Name:          e.name,
		Fetch:         fc,
		CacheBytes:    o.cacheMB << 20,
		RefreshPeriod: o.refresh,
		Restricted:    o.restricted,
		Logger:        log,
	}
	if o.secret != "" {
		cfg.Secrets = []string{o.secret}
	}
	avatars, err := avatarmw.New(cfg)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/avatars/", avatars)
	page, err := newDemoPage(avatars, gallery, o.demo, o.secret != "")
	if err != nil {
		return err
	}
	mux.Handle("GET /{$}", page)
	mux.HandleFunc("GET /debug/avatars", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(avatars.Stats()) //nolint:errcheck // the client went away
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "url", "http://"+ln.Addr().String()+"/")
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
