//! TCP_NODELAY on the database connections.
//!
//! sqlx 0.9.0 stopped setting TCP_NODELAY on its sockets (transact-rs/sqlx#4335, fixed by #4336
//! but not released yet). Without it, a small write that follows a write the server has not
//! acknowledged waits for the server's delayed ACK: about 40 ms. A restore pays that at the end of
//! every table's `COPY … FROM STDIN` (the 5-byte CopyDone follows the data), which made restoring
//! 55 tables take 2.7 s instead of 0.5 s. Remove this module once sqlx sets the option again.
//!
//! sqlx does not hand out its socket, so after each connection is made every TCP socket of this
//! process gets the option, through a duplicate of its descriptor (`pidfd_getfd` on our own
//! process, which needs no unsafe code). Every TCP socket om-upgrade opens is a database
//! connection, and the option only makes small writes leave at once, so setting it on all of them
//! is harmless. Where the kernel or a sandbox refuses, connections work as before, only slower.

/// Sets TCP_NODELAY on every TCP socket of this process; failures are ignored (see above).
#[cfg(target_os = "linux")]
pub fn set_on_all_tcp_sockets() {
    use rustix::net::sockopt::set_tcp_nodelay;
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

    let Ok(me) = pidfd_open(getpid(), PidfdFlags::empty()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in entries.flatten() {
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        let number = entry.file_name().to_str().and_then(|n| n.parse().ok());
        if is_socket
            && let Some(number) = number
            && let Ok(socket) = pidfd_getfd(&me, number, PidfdGetfdFlags::empty())
        {
            // Not a TCP socket (a Unix socket, say): refused, and nothing to do.
            let _ = set_tcp_nodelay(&socket, true);
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn set_on_all_tcp_sockets() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_tcp_socket_of_this_process_gets_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        assert!(!stream.nodelay().unwrap(), "off by default");
        super::set_on_all_tcp_sockets();
        assert!(stream.nodelay().unwrap());
    }
}
