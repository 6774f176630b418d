/** make test-distros: Debian 13 (MariaDB 11.8, socat 1.8, OpenSSL 3.5, rsync 3.4); see scenario.ts. */
import { TRIXIE } from './root';
import { distroSuite } from './scenario';

distroSuite(TRIXIE);
