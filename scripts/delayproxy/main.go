// Command delayproxy forwards TCP connections on loopback to a target on
// loopback with a fixed round-trip delay, so benchmarks against a local
// registry pay the round trips a real one costs. TLS passes through.
// It serves until SIGINT or SIGTERM.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	target := flag.String("target", "", "loopback host:port to forward to (required)")
	rtt := flag.Duration("rtt", 20*time.Millisecond, "round-trip delay to add")
	addrFile := flag.String("addr-file", "", "write the listening address here once ready")
	flag.Parse()
	if *target == "" {
		flag.Usage()
		os.Exit(2)
	}
	p, err := Listen(*listen, *target, *rtt)
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(p.Addr()+"\n"), 0o644); err != nil {
			p.Close()
			log.Fatal(err)
		}
	}
	log.Printf("delayproxy: %s -> %s, %s round trip", p.Addr(), *target, *rtt)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
	p.Close()
}
