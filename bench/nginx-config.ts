import { join } from 'node:path';

/**
 * An nginx configuration that proxies everything to one upstream with keep-alive connections, like the
 * Node proxies. One worker: each Node proxy is one thread too, and the load generator needs the other core.
 */
export function nginxConfig(directory: string, listenPort: number, upstreamPort: number): string {
  const path = (name: string) => join(directory, name);
  return `worker_processes 1;
pid ${path('nginx.pid')};
error_log ${path('error.log')} warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${path('client-body')};
  proxy_temp_path ${path('proxy')};
  fastcgi_temp_path ${path('fastcgi')};
  uwsgi_temp_path ${path('uwsgi')};
  scgi_temp_path ${path('scgi')};
  upstream echo {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}
