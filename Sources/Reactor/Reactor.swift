// The Reactor module.
