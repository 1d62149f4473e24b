package glance

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Error is a non-success answer from Glance.
type Error struct {
	Method     string
	URL        string
	StatusCode int
	// Message is Glance's explanation, cleaned of the HTML line breaks it adds.
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	s := fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, msg)
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

func statusIs(err error, codes ...int) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.StatusCode == c {
			return true
		}
	}
	return false
}

// IsNotFound reports whether Glance answered 404.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsConflict reports whether Glance answered 409.
func IsConflict(err error) bool { return statusIs(err, http.StatusConflict) }

// IsForbidden reports whether Glance answered 403.
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden) }

// IsUnauthorized reports whether Glance answered 401 (even after re-authenticating).
func IsUnauthorized(err error) bool { return statusIs(err, http.StatusUnauthorized) }

// NotSharedError is a member call Glance refused because the image's visibility is not
// "shared" (only such images have members), as ShareImage found out by reading the image.
type NotSharedError struct {
	ImageID string
	// Visibility is the image's visibility at the time.
	Visibility string
	// Err is Glance's refusal.
	Err error
}

func (e *NotSharedError) Error() string { return e.Err.Error() }
func (e *NotSharedError) Unwrap() error { return e.Err }

// IsNotShared reports whether Glance refused a member call because the image's visibility is
// not "shared": it hides the members of such an image (but keeps them).
func IsNotShared(err error) bool {
	var ns *NotSharedError
	if errors.As(err, &ns) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && (e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusForbidden) &&
		messageHas(err, "Only shared images have members")
}

// IsBadRequest reports whether Glance answered 400.
func IsBadRequest(err error) bool { return statusIs(err, http.StatusBadRequest) }

// IsOverLimit reports whether Glance refused the request with 413: a project quota
// (IsOverQuota) or a per-image limit on tags, properties or members (IsPerImageLimit).
func IsOverLimit(err error) bool { return statusIs(err, http.StatusRequestEntityTooLarge) }

// IsPerImageLimit reports whether Glance refused a change because one image would carry more
// tags, properties or members than the cloud allows (image_tag_quota and its siblings).
func IsPerImageLimit(err error) bool {
	return IsOverLimit(err) && messageHas(err, "number of allowed image")
}

// IsOverQuota reports whether Glance refused the request because the project is over one of
// its image quotas (count, total size, staging, uploads at once).
func IsOverQuota(err error) bool { return IsOverLimit(err) && !IsPerImageLimit(err) }

// IsProtected reports whether Glance refused to delete (or deactivate) an image because it is
// protected.
func IsProtected(err error) bool { return IsForbidden(err) && messageHas(err, "protected") }

// IsVisibilityNotAllowed reports whether policy forbids the caller to give an image the
// visibility asked for (publicize_image, communitize_image).
func IsVisibilityNotAllowed(err error) bool {
	return IsForbidden(err) && (messageHas(err, "publicize") || messageHas(err, "communitize"))
}

// messageHas reports whether Glance's message contains s, ignoring case. Glance tells these
// cases apart only in its message; this is the one place the client reads it.
func messageHas(err error, s string) bool {
	var e *Error
	return errors.As(err, &e) && strings.Contains(strings.ToLower(e.Message), strings.ToLower(s))
}

// IsUnsupported reports whether Glance does not offer the endpoint at all (404 on an info
// call, 501), as on clouds without multi-store.
func IsUnsupported(err error) bool {
	return statusIs(err, http.StatusNotFound, http.StatusNotImplemented)
}

var htmlBreaks = regexp.MustCompile(`(?i)<br\s*/?>`)

// errorFromResponse builds an *Error from a non-2xx response; it reads (a bounded part of) the body.
func errorFromResponse(resp *http.Response, body []byte) *Error {
	e := &Error{
		Method:     resp.Request.Method,
		URL:        RedactURL(resp.Request.URL.String()),
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Openstack-Request-Id"),
	}
	e.Message = errorMessage(body)
	return e
}

// errorMessage extracts the human message of a Glance error body. Glance answers
// {"message": "...", "code": "...", "title": "..."} when asked for JSON, and keystonemiddleware
// or a front proxy may answer {"error": {"message": ...}} or plain text.
func errorMessage(body []byte) string {
	var v struct {
		Message string `json:"message"`
		Title   string `json:"title"`
		Error   *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := ""
	if err := jsonUnmarshal(body, &v); err == nil {
		switch {
		case v.Message != "":
			msg = v.Message
		case v.Error != nil && v.Error.Message != "":
			msg = v.Error.Message
		case v.Title != "":
			msg = v.Title
		}
	} else {
		msg = string(body)
	}
	msg = htmlBreaks.ReplaceAllString(msg, " ")
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 1000 {
		msg = msg[:1000] + "…"
	}
	return msg
}
