/** make test-distros: Debian 11 (MariaDB 10.5, socat 1.7.4 on OpenSSL 1.1.1, rsync 3.2.3); see scenario.ts. */
import { BULLSEYE } from './root';
import { distroSuite } from './scenario';

distroSuite(BULLSEYE);
