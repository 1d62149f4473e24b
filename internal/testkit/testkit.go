// Package testkit holds small test helpers that the client's, the inspector's and the
// provider's tests share. It imports only the standard library, so any package's tests may
// use it without an import cycle.
package testkit

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"testing"
)

// ClosedPort returns a loopback host:port where nothing listens.
func ClosedPort(t testing.TB) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// SilentListener accepts connections and never answers, until the test ends; it returns its
// host:port.
func SilentListener(t testing.TB) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-done; _ = c.Close() }()
		}
	}()
	return l.Addr().String()
}

// QemuVirtualSize is the virtual size `qemu-img info` reports for file, read as format when
// format is not empty (qemu-img probes a fixed VHD as raw).
func QemuVirtualSize(t testing.TB, file, format string) int64 {
	t.Helper()
	args := []string{"info", "--output=json", file}
	if format != "" {
		args = append(args, "-f", format)
	}
	out, err := exec.CommandContext(context.Background(), "qemu-img", args...).Output()
	if err != nil {
		t.Fatalf("qemu-img info %s: %v", file, err)
	}
	var info struct {
		VirtualSize int64 `json:"virtual-size"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	return info.VirtualSize
}
