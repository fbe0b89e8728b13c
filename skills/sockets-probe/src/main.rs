//! Test-only guest: opens a TCP socket with std::net, so its component
//! imports `wasi:sockets` (as every CPython component does). skillhost
//! links sockets that refuse everything: it prints `false`.
fn main() {
    let result = std::net::TcpStream::connect("127.0.0.1:9");
    println!("{}", result.is_ok());
}
