/**
 * The parts of an nginx config that let it run as an ordinary user from a scratch directory:
 * the pid file, the error log and every temp path nginx would otherwise put under /var.
 * Shared by the benches that start their own nginx.
 */

/** Main-context lines: one worker, in the foreground, pid and error log in `dir`. */
export function nginxMainLines(dir: string): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;`;
}

/** http-context lines: temp paths in `dir`, and keep-alive connections that are never closed for their request count. */
export function nginxHttpLines(dir: string): string {
  return `  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;`;
}
