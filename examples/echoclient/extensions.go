package main

import "github.com/wsconn/wsconn/extensions"

// supportedExtensions returns the extensions the client offers.
// permessage-deflate is not implemented yet, so the registry is empty
// whatever deflate says; once it is, deflate adds it here.
func supportedExtensions(deflate bool) *extensions.Registry {
	return extensions.NewRegistry()
}
