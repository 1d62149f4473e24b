// Command prefixproxy serves a Glance under a path prefix, as Platform9 PCD does
// (https://HOST/glance/v2/...), so that tests exercise prefixed URLs. It strips the prefix and
// streams requests and responses both ways without buffering them. With -tls-cert and -tls-key
// it serves HTTPS (and HTTP/2), the way a cloud's TLS front end does; an empty -prefix forwards
// every path (for Keystone).
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9393", "address to listen on")
	target := flag.String("target", "http://127.0.0.1:9292", "Glance to forward to")
	prefix := flag.String("prefix", "/glance", "path prefix to strip; empty forwards every path")
	certFile := flag.String("tls-cert", "", "PEM certificate (chain) to serve HTTPS with")
	keyFile := flag.String("tls-key", "", "PEM private key of -tls-cert")
	flag.Parse()

	u, err := url.Parse(*target)
	if err != nil {
		log.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1 // stream downloads as they come
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *prefix == "" {
			rp.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != *prefix && !strings.HasPrefix(r.URL.Path, *prefix+"/") {
			http.NotFound(w, r)
			return
		}
		r.URL.Path = strings.TrimPrefix(r.URL.Path, *prefix)
		if r.URL.Path == "" {
			r.URL.Path = "/"
		}
		r.URL.RawPath = ""
		r.Header.Set("X-Forwarded-Prefix", *prefix)
		rp.ServeHTTP(w, r)
	})
	log.Printf("serving %s%s -> %s (tls: %t)", *listen, *prefix, *target, *certFile != "")
	srv := &http.Server{Addr: *listen, Handler: handler, ReadHeaderTimeout: 30 * time.Second}
	if *certFile != "" {
		log.Fatal(srv.ListenAndServeTLS(*certFile, *keyFile))
	}
	log.Fatal(srv.ListenAndServe())
}
