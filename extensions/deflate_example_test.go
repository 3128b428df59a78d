package extensions_test

import (
	"fmt"

	"github.com/wsconn/wsconn/extensions"
)

func ExampleNewDeflate() {
	// A client with the defaults: the best compression, 32 KiB windows.
	client := extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))

	// A server with many connections keeps no compression context between
	// its messages and limits the clients' windows, to save memory.
	server := extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{
		ServerNoContextTakeover: true,
		ClientMaxWindowBits:     12,
	}))

	// What the handshake does with them: the client offers, the server
	// answers, the client accepts the answer.
	c := client.New("permessage-deflate")
	offer := extensions.Offer{Name: c.Name(), Params: c.RequestParams()}
	fmt.Println("offer: ", extensions.FormatHeader([]extensions.Offer{offer}))

	s := server.New("permessage-deflate")
	if err := s.Configure(extensions.Server, offer.Params); err != nil {
		fmt.Println(err)
		return
	}
	answer := extensions.Offer{Name: s.Name(), Params: s.ResponseParams()}
	fmt.Println("answer:", extensions.FormatHeader([]extensions.Offer{answer}))
	fmt.Println("client accepts:", c.Configure(extensions.Client, answer.Params) == nil)
	// Output:
	// offer:  permessage-deflate; client_max_window_bits
	// answer: permessage-deflate; server_no_context_takeover; client_max_window_bits=12
	// client accepts: true
}
