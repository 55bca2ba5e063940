'use strict'
// syncwire with its embedded durable store (redb) in a fresh directory: see syncwire.js.
module.exports = require('./syncwire.js').variant('redb')
