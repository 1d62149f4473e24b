package glance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// ConnectionKind is what went wrong below HTTP when a service could not be reached.
type ConnectionKind string

// The kinds ClassifyConnection tells apart. ConnNone: err is not a connection failure (an
// HTTP answer, a cancelled context, a local error).
const (
	ConnNone    ConnectionKind = ""
	ConnRefused ConnectionKind = "refused"
	ConnDNS     ConnectionKind = "dns"
	ConnTLS     ConnectionKind = "tls"
	ConnTimeout ConnectionKind = "timeout"
	ConnOther   ConnectionKind = "other"
)

// ConnectionProblem is a connection failure in words: Cause names it ("connection refused"),
// and Advice (a sentence, with %[1]s for the service and %[2]s for its URL) says what fits
// that cause.
type ConnectionProblem struct {
	Kind   ConnectionKind
	Cause  string
	Advice string
}

// ClassifyConnection says which connection failure err is. It looks through the wrappers of
// net/http, gophercloud and fmt (errors.As), so Keystone's errors classify like Glance's.
// A cancelled context, or an expired one not wrapped by a request, is ConnNone: the
// caller's own doing, not the network's.
func ClassifyConnection(err error) ConnectionProblem {
	if err == nil || errors.Is(err, context.Canceled) || !isConnectionLevel(err) {
		return ConnectionProblem{}
	}
	var dnsErr *net.DNSError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return ConnectionProblem{ConnDNS, "host name not found",
			"The host name of %[2]s does not resolve: check its spelling, and the DNS or proxy settings of the machine running Terraform."}
	case IsCertificateError(err):
		return ConnectionProblem{ConnTLS, "TLS certificate not trusted",
			"%[1]s's TLS certificate could not be verified: trust the CA that signed it with cacert_file (OS_CACERT), or use the host name the certificate names."}
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return ConnectionProblem{ConnTLS, "TLS handshake failed",
			"The server at %[2]s does not speak TLS on that port: use http:// for a plain HTTP port, or the port where %[1]s serves HTTPS."}
	case errors.As(err, &alertErr) || strings.Contains(err.Error(), "tls: "):
		return ConnectionProblem{ConnTLS, "TLS handshake failed",
			"%[1]s at %[2]s refused the TLS handshake: check the client certificate (cert/key, OS_CERT/OS_KEY) and that the port serves TLS."}
	case closedBeforeHTTPSAnswer(err):
		return ConnectionProblem{ConnTLS, "connection closed during the TLS handshake",
			"The server at %[2]s closed the connection before answering over TLS: if that port serves plain HTTP, use http://; otherwise check that %[1]s accepts this client (cert/key, OS_CERT/OS_KEY)."}
	case isRefused(err):
		return ConnectionProblem{ConnRefused, "connection refused",
			"Nothing accepts connections at %[2]s: check that %[1]s is running and that the host and port are right."}
	case errors.As(err, &netErr) && netErr.Timeout():
		return ConnectionProblem{ConnTimeout, "timed out",
			"%[1]s at %[2]s did not answer in time: check that the address is reachable from this machine (firewall, proxy, VPN) and that %[1]s is not overloaded."}
	default:
		return ConnectionProblem{ConnOther, "connection failed",
			"The connection to %[1]s at %[2]s failed: check the network path to it and that %[1]s is healthy."}
	}
}

// closedBeforeHTTPSAnswer: an https request ended by EOF without any answer. A server that
// does not speak TLS often just hangs up on a TLS hello (uwsgi does), so Go sees only EOF.
func closedBeforeHTTPSAnswer(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) && strings.HasPrefix(ue.URL, "https:") &&
		(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET))
}

func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused") ||
		strings.Contains(err.Error(), "actively refused")
}

// isConnectionLevel: err came from a request that got no answer (not from a bare context).
func isConnectionLevel(err error) bool {
	var ue *url.Error
	var oe *net.OpError
	return errors.As(err, &ue) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET)
}

// ConnectionError is a call that never got an HTTP answer: which service, at which URL, why,
// and what to do about it. Its message never blames credentials: no server judged them.
type ConnectionError struct {
	// Service is "Keystone" or "Glance".
	Service string
	// Op is what was attempted, e.g. "GET" or "authenticating".
	Op string
	// URL is the redacted URL that could not be reached.
	URL string
	// Setting names where the URL comes from, e.g. "auth_url (OS_AUTH_URL)".
	Setting string
	Problem ConnectionProblem
	Err     error
}

// NewConnectionError returns a ConnectionError for err when it is a connection failure, else nil.
func NewConnectionError(service, op, rawURL, setting string, err error) *ConnectionError {
	p := ClassifyConnection(err)
	if p.Kind == ConnNone {
		return nil
	}
	return &ConnectionError{Service: service, Op: op, URL: RedactURL(rawURL), Setting: setting, Problem: p, Err: err}
}

func (e *ConnectionError) Error() string {
	msg := fmt.Sprintf("%s %s: cannot reach %s (%s): %v. %s", e.Op, e.URL, e.Service, e.Problem.Cause,
		underlying(e.Err), fmt.Sprintf(e.Problem.Advice, e.Service, e.URL))
	if e.Setting != "" {
		msg += " The URL comes from " + e.Setting + "."
	}
	return msg
}

// underlying is err without the *url.Error that repeats the full URL (with its query).
func underlying(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// IsConnectionError reports whether err is a service that could not be reached.
func IsConnectionError(err error) bool {
	var ce *ConnectionError
	return errors.As(err, &ce)
}
