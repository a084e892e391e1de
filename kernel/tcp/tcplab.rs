//! A tiny request/response client and server for the kernel-vm TCP ACK labs (std only).
//!
//!   tcplab server PORT
//!   tcplab client ADDR:PORT REQ_LEN SPEC...
//!
//! Each SPEC is one request/response exchange on the same connection:
//! `RESP_LEN[/SERVER_DELAY_MS[/CLIENT_THINK_MS]]`. The client writes REQ_LEN bytes in one
//! write() (the first bytes say the response size and the server's delay), reads exactly
//! RESP_LEN bytes, thinks CLIENT_THINK_MS, and goes on; after the last exchange it closes.
//! The server reads exactly REQ_LEN bytes per request, sleeps SERVER_DELAY_MS, answers with
//! RESP_LEN bytes in one write(), and closes when the client does.
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn serve(mut s: TcpStream) {
    let mut head = [0u8; 4];
    loop {
        // The request length is in its first 4 bytes, then response length and delay.
        if s.read_exact(&mut head).is_err() {
            break; // EOF: the client closed
        }
        let req_len = u32::from_be_bytes(head) as usize;
        let mut rest = vec![0u8; req_len - 4];
        if s.read_exact(&mut rest).is_err() {
            break;
        }
        let resp = u32::from_be_bytes(rest[0..4].try_into().unwrap()) as usize;
        let delay = u32::from_be_bytes(rest[4..8].try_into().unwrap());
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(u64::from(delay)));
        }
        s.write_all(&vec![b'x'; resp]).unwrap();
    }
    // drop closes
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("server") => {
            let l = TcpListener::bind(("0.0.0.0", args[2].parse::<u16>().unwrap())).unwrap();
            for s in l.incoming() {
                serve(s.unwrap());
            }
        }
        Some("client") => {
            let req_len: usize = args[3].parse().unwrap();
            let mut s = TcpStream::connect(&args[2]).unwrap();
            println!("client port {}", s.local_addr().unwrap().port());
            for spec in &args[4..] {
                let mut it = spec.split('/').map(|x| x.parse::<u32>().unwrap());
                let resp = it.next().unwrap();
                let delay = it.next().unwrap_or(0);
                let think = it.next().unwrap_or(0);
                let mut req = vec![b'q'; req_len];
                req[0..4].copy_from_slice(&(req_len as u32).to_be_bytes());
                req[4..8].copy_from_slice(&resp.to_be_bytes());
                req[8..12].copy_from_slice(&delay.to_be_bytes());
                s.write_all(&req).unwrap();
                let mut buf = vec![0u8; resp as usize];
                s.read_exact(&mut buf).unwrap();
                if think > 0 {
                    std::thread::sleep(Duration::from_millis(u64::from(think)));
                }
            }
            // drop closes
        }
        _ => eprintln!("usage: tcplab server PORT | tcplab client ADDR:PORT REQ_LEN SPEC..."),
    }
}
