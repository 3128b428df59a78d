package wsjson_test

import (
	"context"
	"log"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/wsjson"
)

// A request/response exchange of JSON values.
func Example() {
	ctx := context.Background()
	c, _, err := wsconn.Dial(ctx, "wss://example.com/api", nil)
	if err != nil {
		log.Print(err)
		return
	}
	defer c.Close(wsconn.CloseNormal, "")

	type request struct {
		Method string `json:"method"`
		ID     int    `json:"id"`
	}
	type response struct {
		ID     int    `json:"id"`
		Result string `json:"result"`
	}
	if err := wsjson.Send(c, request{Method: "time", ID: 1}); err != nil {
		log.Print(err)
		return
	}
	var r response
	if err := wsjson.Receive(ctx, c, &r); err != nil {
		log.Print(err)
		return
	}
	log.Println(r.Result)
}
