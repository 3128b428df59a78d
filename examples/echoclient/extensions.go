package main

import "github.com/wsconn/wsconn/extensions"

// supportedExtensions returns the extensions the client offers:
// permessage-deflate with its defaults (context takeover both ways, 32 KiB
// windows) when deflate is set, none otherwise.
func supportedExtensions(deflate bool) *extensions.Registry {
	if !deflate {
		return nil
	}
	return extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
}
