//! Test-only guest: opens a TCP socket with std::net, so its component
//! imports `wasi:sockets`. skillhost must refuse to install it.
fn main() {
    let result = std::net::TcpStream::connect("127.0.0.1:9");
    println!("{}", result.is_ok());
}
