package glance

// WithEndpoint returns a client for another Glance endpoint (another region's) that shares
// this client's authentication, HTTP client, retry budget, logger and user agent. Nothing
// learned about a cloud carries over: the new client memoises its own stores, import methods,
// usage, cache API and hash algorithm.
func (c *Client) WithEndpoint(baseURL string) (*Client, error) {
	retries := c.maxRetries
	if retries == 0 {
		retries = -1 // retries were disabled; 0 would mean the default
	}
	n, err := New(baseURL, c.auth, Options{HTTPClient: c.http, MaxRetries: retries, Logger: c.log, retryBase: c.retryBase})
	if err != nil {
		return nil, err
	}
	n.userAgent = c.userAgent
	return n, nil
}
